package io.dioring.request;

/** Told, on the completing thread and before the caller, that a request finished. */
public interface CompletionListener {
    void onComplete(IoRequest request);
}
