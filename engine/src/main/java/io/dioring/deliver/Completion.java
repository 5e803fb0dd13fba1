package io.dioring.deliver;

import io.dioring.CompletionHandler;
import io.dioring.file.DeliveryHold;
import io.dioring.jfr.IoEvents;
import io.dioring.reap.Aggregator;
import io.dioring.request.CompletionListener;
import io.dioring.request.IoRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The end of every request, in one place for every backend: its single result is set
 * ({@link #conclude}, or {@link #concludeUnissued} for one that never reached a ring), its
 * JFR event recorded, its listener told; then it is handed to whoever asked, exactly once
 * ({@link #deliver}, on the thread {@link Delivery} chooses).
 */
public final class Completion {
    private static final ThreadLocal<Boolean> DELIVERING = new ThreadLocal<>();
    /** What a ticket run by an executor does. */
    static final Consumer<IoRequest> DELIVER = Completion::deliver;

    private Completion() {}

    /**
     * A request whose last slice is in (or whose blocking calls are all made): its single
     * result ({@link Aggregator#conclude}), its JFR event ({@code backend} says who carried
     * it), its listener. The caller delivers it next.
     */
    public static void conclude(IoRequest r, boolean cancelledByEngine, String backend) {
        Aggregator.conclude(r, cancelledByEngine);
        IoEvents.completed(r, backend); // JFR: the single result is known
        notifyListener(r);
    }

    /**
     * A request that never reached a ring (refused, cancelled, or its ring failed before it
     * was issued): {@code failure} is its outcome, {@code -errno} its result; its listener is
     * told. The caller delivers it next.
     */
    public static void concludeUnissued(IoRequest r, Throwable failure, int errno) {
        Aggregator.concludeUnissued(r, failure, errno);
        notifyListener(r);
    }

    /**
     * Delivers on the current thread. The request goes back to its pool before user code
     * runs, so a callback that submits again reuses it; a synchronous waiter recycles it
     * itself after reading the outcome.
     */
    public static void deliver(IoRequest r) {
        Ticket<IoRequest> ticket = r.ticket();
        Thread waiter = ticket.waiter;
        if (waiter != null) {
            // A blocking caller's write is delivered once it is woken; an extending write's
            // stand-in (it has a callback or a future) is delivered again after, and keeps its hold.
            DeliveryHold<IoRequest> hold = r.handler() == null && r.future() == null
                    ? r.order().takeDeliveryHold() : null;
            ticket.delivered = true;
            if (waiter != Thread.currentThread()) {
                LockSupport.unpark(waiter); // a caller that reaped its own result does not park at all
            }
            IoRequest.delivered(hold);
            return;
        }
        CompletionHandler<Object> handler = r.handler();
        Object attachment = r.attachment();
        CompletableFuture<Long> future = r.future();
        Throwable failure = r.outcome().failure();
        long result = r.outcome().result();
        Runnable afterDelivery = ticket.afterDelivery;
        // A write's barriers wait until its callback has returned (its future completed).
        DeliveryHold<IoRequest> hold = r.order().takeDeliveryHold();
        r.recycle();
        if (afterDelivery != null) {
            DELIVERING.set(Boolean.TRUE); // only counted (deferred) results: inline ones skip the thread-local
        }
        try {
            if (handler != null) {
                if (failure == null) {
                    handler.completed(result, attachment);
                } else {
                    handler.failed(failure, attachment);
                }
            } else if (future != null) {
                if (failure == null) {
                    future.complete(result);
                } else {
                    future.completeExceptionally(failure);
                }
            }
        } catch (Throwable t) {
            // A callback's exception is the caller's bug; it must not take the engine down.
            Thread current = Thread.currentThread();
            current.getUncaughtExceptionHandler().uncaughtException(current, t);
        } finally {
            if (afterDelivery != null) {
                DELIVERING.set(null); // not remove(): that would drop the entry, and the next set allocate one
                afterDelivery.run();
            }
            IoRequest.delivered(hold);
        }
    }

    /**
     * Whether the current thread is running the callback or future completion of a counted
     * (deferred) result now: the one {@code Delivery.awaitDelivered} must not wait for.
     */
    public static boolean delivering() {
        return DELIVERING.get() != null;
    }

    /**
     * Tells the request's listener (the engine's own bookkeeping: ordering holds, pending
     * counts) that it finished. A listener that throws is a bug of the engine; it is reported
     * and must not stop the result from being delivered.
     */
    static void notifyListener(IoRequest r) {
        CompletionListener<IoRequest> listener = r.listener();
        if (listener == null) {
            return;
        }
        try {
            listener.onComplete(r);
        } catch (Throwable t) {
            Thread current = Thread.currentThread();
            current.getUncaughtExceptionHandler().uncaughtException(current, t);
        }
    }

    /** Blocks until a request whose ticket waits on this thread ({@link Ticket#awaitOn}) is delivered. */
    public static void await(IoRequest r) {
        Ticket<IoRequest> ticket = r.ticket();
        boolean interrupted = false;
        while (!ticket.delivered) {
            LockSupport.park(r);
            if (Thread.interrupted()) {
                // The I/O cannot be abandoned while the kernel may still write the buffer.
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
