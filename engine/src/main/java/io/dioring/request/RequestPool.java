package io.dioring.request;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * Recycles requests so the callback path allocates nothing in steady state. Bounded:
 * beyond {@code capacity} idle requests, extras are left to the garbage collector.
 */
public final class RequestPool {
    private final ArrayBlockingQueue<IoRequest> idle;

    public RequestPool(int capacity) {
        this.idle = new ArrayBlockingQueue<>(capacity);
    }

    /** A clean request, reused when one is idle. */
    public IoRequest take() {
        IoRequest r = idle.poll();
        if (r == null) {
            r = new IoRequest();
        }
        r.pool = this;
        return r;
    }

    /** Gives a delivered request back. */
    public void give(IoRequest r) {
        r.reset();
        idle.offer(r);
    }
}
