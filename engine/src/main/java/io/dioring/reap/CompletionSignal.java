package io.dioring.reap;

/**
 * How a {@link SharedRing}'s reaper thread learns that there is something to do while no
 * caller is driving the ring: completions that finished out of line (on the disk's
 * interrupt, on an io-wq worker), requests released from ordering holds, results whose
 * inline callbacks must run on the reaper, a close.
 *
 * <p>Signals are counted, not lost: one that arrives between two {@link #await} calls makes
 * the next return at once.
 */
public interface CompletionSignal extends AutoCloseable {

    /**
     * Waits until signalled or {@code timeoutMillis} pass, then clears the signal.
     *
     * @return whether it was signalled (false on timeout)
     */
    boolean await(int timeoutMillis);

    /** Signals the waiter (any thread, never blocks). A no-op once closed. */
    void wake();

    /**
     * The reaper's longest sleep while slices are in flight: a bound on a lost wake-up for a
     * ring that signals completions, never the normal path; short for one that does not.
     */
    default int busyWaitMillis() {
        return 50;
    }

    /** Releases what the signal holds; only once no thread can call {@link #wake} any more. */
    @Override
    void close();

    /** For rings whose completions arrive only when the ring is entered (simulated rings): a timed wait. */
    static CompletionSignal polling() {
        return new CompletionSignal() {
            private final java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(0);

            @Override
            public boolean await(int timeoutMillis) {
                try {
                    boolean signalled = permits.tryAcquire(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
                    permits.drainPermits();
                    return signalled;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }

            @Override
            public void wake() {
                permits.release();
            }

            @Override
            public int busyWaitMillis() {
                return 1; // completions come only when the ring is entered: enter it often
            }

            @Override
            public void close() {}
        };
    }
}
