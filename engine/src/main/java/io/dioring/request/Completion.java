package io.dioring.request;

import io.dioring.CompletionHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/** Hands a finished request's outcome to whoever asked, exactly once. */
public final class Completion {
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
            LockSupport.unpark(waiter);
            return;
        }
        CompletionHandler<Object> handler = r.handler;
        Object attachment = r.attachment;
        CompletableFuture<Long> future = r.future;
        Throwable failure = r.failure;
        long result = r.result;
        RequestPool pool = r.pool;
        if (pool != null) {
            pool.give(r);
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
        }
    }

    /**
     * Fails a request that can no longer be issued (its ring closed) with a
     * CancellationException, runs its completion listener, and delivers it here.
     */
    public static void cancel(IoRequest r, String why) {
        r.failure = new java.util.concurrent.CancellationException(r.opName() + " " + r.file.path() + " at offset "
                + r.offset + " cancelled: " + why);
        r.result = -io.dioring.ffi.Errno.ECANCELED;
        r.completed = true;
        if (r.listener != null) {
            r.listener.onComplete(r);
        }
        deliver(r);
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
