package io.dioring.request;

/**
 * Told, on the completing thread and before the caller, that a request finished.
 *
 * @param <R> the request type (generic so that a request can name its listener without a cycle)
 */
public interface CompletionListener<R> {
    void onComplete(R request);
}
