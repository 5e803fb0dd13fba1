package io.dioring.request;

import java.io.InterruptedIOException;

/** Somewhere a request can be handed to be issued: a ring thread's inbox or an owner's loop. */
public interface RequestSink extends ReleaseSink<IoRequest> {
    /**
     * Takes a new request from its submitter; may block while the sink is full
     * (back-pressure). Callable from any thread. A thread whose interrupt flag is set is
     * not refused when there is room.
     *
     * @throws InterruptedIOException if the caller was interrupted while it had to wait for
     *         room; the request was not taken and the interrupt flag is set again
     * @throws IllegalStateException if the sink is closed; the request was not taken
     */
    void accept(IoRequest request) throws InterruptedIOException;

    /**
     * Takes a request that was already accepted once and must go on: released from an
     * ordering hold, or finished off its ring and waiting to be delivered there
     * ({@link IoRequest#completed}). Never blocks and never throws: a closed sink fails
     * (or delivers) the request itself, so it still completes exactly once.
     */
    @Override
    void release(IoRequest request);
}
