package io.dioring.request;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Recycles requests so the callback path allocates nothing in steady state. Bounded:
 * beyond {@code capacity} idle requests, extras are left to the garbage collector.
 *
 * <p>Two kinds: a shared pool (any thread takes and gives back) for the engine's ring
 * threads, lock-free ({@link BoundedQueue}), and a thread-confined one for an owner-driven
 * ring whose requests are taken, completed and given back on its owner thread.
 */
public final class RequestPool {
    private final BoundedQueue<IoRequest> shared;
    private final ArrayDeque<IoRequest> confined;
    private final int capacity;
    /** What a taken request calls to come back ({@link IoRequest#recycle}): made once, so taking allocates nothing. */
    private final Consumer<IoRequest> giveBack = this::give;

    private RequestPool(int capacity, boolean threadSafe) {
        this.capacity = capacity;
        this.shared = threadSafe ? new BoundedQueue<>(capacity) : null;
        this.confined = threadSafe ? null : new ArrayDeque<>(capacity);
    }

    /** A pool any thread may use. */
    public static RequestPool shared(int capacity) {
        return new RequestPool(capacity, true);
    }

    /** A pool for one thread only: no locks. */
    public static RequestPool confined(int capacity) {
        return new RequestPool(capacity, false);
    }

    /** A clean request, reused when one is idle. */
    public IoRequest take() {
        IoRequest r = shared != null ? shared.poll() : confined.pollLast();
        if (r == null) {
            r = new IoRequest();
        }
        r.pool = giveBack;
        return r;
    }

    /** Gives a delivered request back. */
    public void give(IoRequest r) {
        r.reset();
        if (shared != null) {
            shared.offer(r);
        } else if (confined.size() < capacity) {
            confined.addLast(r);
        }
    }
}
