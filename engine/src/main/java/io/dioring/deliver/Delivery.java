package io.dioring.deliver;

import io.dioring.file.DeliveryHold;
import io.dioring.request.IoRequest;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Decides where a finished request's result runs, in one place (seed 001):
 *
 * <ul>
 * <li>a blocking caller waiting on the request is unparked wherever the result is known:
 *     that runs no user code;
 * <li>on the thread that owns the request's ring, right after its result is known
 *     ({@link #onRing}): inline requests (INLINE mode, owned rings) run their callback there;
 *     the rest go to the deferred executor, so a ring thread never runs user code that may
 *     block;
 * <li>anywhere else ({@link #offRing}: a submitter that finished an extending write, a thread
 *     that closes or cancels): user code never runs on that caller's stack. Deferred
 *     requests go to the executor; inline ones are handed back to their ring, which runs
 *     them on its own thread at its next turn; a request whose ring is gone runs on the
 *     offload executor ({@link #offload}).
 * </ul>
 */
public final class Delivery {
    private final Executor deferred;
    private final Executor offload;
    /** Results handed to an executor whose user code has not returned yet. */
    private final AtomicInteger undelivered = new AtomicInteger();
    private final Runnable countDelivered = this::delivered;

    /**
     * @param deferred the executor for deferred results, or null when every result runs
     *        inline on its ring (INLINE mode, owned rings)
     * @param offload where results run that may not run on the current thread and have no
     *        ring to go to (created lazily by the engine)
     */
    public Delivery(Executor deferred, Executor offload) {
        this.offload = offload;
        this.deferred = deferred;
    }

    /** On the ring's owner thread, right after {@code r}'s result was set. */
    public void onRing(IoRequest r) {
        assert r.completed() : "delivering a request that has no result";
        if (r.ticket().waiter != null || r.inlineCompletion() || deferred == null) {
            Completion.deliver(r);
        } else {
            execute(deferred, r);
        }
    }

    /**
     * Hands {@code r} to {@code executor}, counted until its user code has returned. A write's
     * hand-off is its delivery for the file's barriers: on a FIFO executor a sync's result then
     * runs after the write's, and a callback that waits for a sync does not wait for itself.
     */
    private void execute(Executor executor, IoRequest r) {
        undelivered.incrementAndGet();
        Ticket<IoRequest> ticket = r.ticket();
        ticket.afterDelivery = countDelivered;
        ticket.deliverer = Completion.DELIVER;
        DeliveryHold<IoRequest> hold = r.order().takeDeliveryHold(); // before: the executor may recycle r at once
        try {
            executor.execute(ticket);
        } catch (RuntimeException refused) {
            // A shut-down or saturated executor must not lose the result: deliver it here.
            ticket.afterDelivery = null;
            undelivered.decrementAndGet();
            Completion.deliver(r);
        }
        IoRequest.delivered(hold);
    }

    private void delivered() {
        undelivered.decrementAndGet();
    }

    /**
     * Waits until every result handed to an executor has had its user code run (the engine
     * frees its buffers only then), at most {@code timeout}; the caller's own delivery, if
     * it is one, does not count.
     *
     * @return whether they all ran in time
     */
    public boolean awaitDelivered(long timeout, TimeUnit unit) {
        int own = Completion.delivering() ? 1 : 0;
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (undelivered.get() > own) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(100_000);
        }
        return true;
    }

    /** On a thread that does not own {@code r}'s ring: never runs user code here. */
    public void offRing(IoRequest r) {
        assert r.completed() : "delivering a request that has no result";
        if (r.ticket().waiter != null) {
            Completion.deliver(r); // only unparks the waiter
        } else if (deferred != null && !r.inlineCompletion()) {
            execute(deferred, r);
        } else if (r.sink() != null) {
            r.sink().release(r); // its ring delivers it inline, on its own thread
        } else {
            offload(r);
        }
    }

    /** Runs {@code r}'s delivery on the offload executor (its ring is gone). */
    public void offload(IoRequest r) {
        if (r.ticket().waiter != null) {
            Completion.deliver(r);
        } else {
            execute(offload, r);
        }
    }

    /**
     * Sets {@code r}'s outcome to {@code failure} (it was never issued, or was cancelled),
     * tells its listener, and delivers it: {@link #onRing} when {@code onRing}, else
     * {@link #offRing}.
     */
    public void fail(IoRequest r, Throwable failure, int errno, boolean onRing) {
        Completion.concludeUnissued(r, failure, errno);
        deliver(r, onRing);
    }

    /**
     * A request of an io_uring ring whose last slice is in: concluded, recorded and told
     * ({@link Completion#conclude}), then delivered: {@link #onRing} when {@code onRing},
     * else {@link #offRing}.
     */
    public void finish(IoRequest r, boolean cancelledByEngine, String backend, boolean onRing) {
        Completion.conclude(r, cancelledByEngine, backend);
        deliver(r, onRing);
    }

    private void deliver(IoRequest r, boolean onRing) {
        if (onRing) {
            onRing(r);
        } else {
            offRing(r);
        }
    }
}
