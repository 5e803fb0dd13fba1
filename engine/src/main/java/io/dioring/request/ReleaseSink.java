package io.dioring.request;

/**
 * Where an accepted request goes on when it is handed back: the part of {@link RequestSink}
 * a request remembers ({@link IoRequest#sink()}). Generic so that a request can name it
 * without the sink naming the request in turn.
 *
 * @param <R> the request type
 */
public interface ReleaseSink<R> {
    /** See {@link RequestSink#release}: never blocks, never throws; the request still completes exactly once. */
    void release(R request);
}
