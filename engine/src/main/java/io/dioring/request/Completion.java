package io.dioring.request;

import io.dioring.CompletionHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/** Hands a finished request's outcome to whoever asked, exactly once. */
public final class Completion {
    private static final ThreadLocal<Boolean> DELIVERING = new ThreadLocal<>();

    private Completion() {}

    /**
     * Delivers on the current thread. The request goes back to its pool before user code
     * runs, so a callback that submits again reuses it; a synchronous waiter recycles it
     * itself after reading the outcome.
     */
    public static void deliver(IoRequest r) {
        Thread waiter = r.waiter;
        if (waiter != null) {
            r.delivered = true;
            if (waiter != Thread.currentThread()) {
                LockSupport.unpark(waiter); // a caller that reaped its own result does not park at all
            }
            return;
        }
        CompletionHandler<Object> handler = r.handler;
        Object attachment = r.attachment;
        CompletableFuture<Long> future = r.future;
        Throwable failure = r.failure;
        long result = r.result;
        Runnable afterDelivery = r.afterDelivery;
        RequestPool pool = r.pool;
        if (pool != null) {
            pool.give(r);
        }
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
    public static void notifyListener(IoRequest r) {
        CompletionListener listener = r.listener;
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

    /** Blocks until a request with {@link IoRequest#waiter} set to this thread is delivered. */
    public static void await(IoRequest r) {
        boolean interrupted = false;
        while (!r.delivered) {
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
