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

    /**
     * Takes {@code requests[from..to)} in order, as many as fit without waiting for room, so
     * that they are issued together: a caller-driven ring drains them in one turn and enters
     * the kernel once for all of them when they fit the ring (see {@code io.dioring.IoBatch}).
     * Never blocks for room; a request it returns as not taken was left untouched.
     *
     * @return the index of the first request not taken, {@code to} when all were; the caller
     *         hands that one to {@link #accept}, which waits for room or says why not. This
     *         default takes none: every request then goes through {@link #accept}
     * @throws IllegalStateException if the sink is closed; none was taken
     */
    default int acceptAll(IoRequest[] requests, int from, int to) {
        return from;
    }

    // ---- what a submitter asks of the backend it submits to ------------------------------

    /** Whether a kernel ring carries these requests (not the thread pool's emulation). */
    default boolean kernelRing() {
        return false;
    }

    /**
     * Whether the calling thread is inside a completion handler this sink runs: it must not
     * wait for a request here (the reap it would wait on is the one it is in); see
     * {@link #afterReap}.
     */
    default boolean callerInHandler() {
        return false;
    }

    /** Runs {@code task} on the calling thread once the reap it is in has delivered everything (only when {@link #callerInHandler}). */
    default void afterReap(Runnable task) {
        throw new IllegalStateException("not inside a completion handler of " + this);
    }

    /**
     * Whether requests given here complete only while the calling thread drives this sink
     * (an owner-driven ring's owner): a wait for one is then {@link #runUntilDelivered}.
     */
    default boolean drivenByCaller() {
        return false;
    }

    /** Drives this sink until {@code r} is delivered (only when {@link #drivenByCaller}). */
    default void runUntilDelivered(IoRequest r) {
        throw new IllegalStateException("the calling thread does not drive " + this);
    }
}
