package io.dioring.reap;

import io.dioring.deliver.Delivery;
import io.dioring.ffi.Errno;
import io.dioring.request.IoRequest;
import io.dioring.ring.RingFailedException;
import java.util.concurrent.CancellationException;

/**
 * How an engine ring stops, written once for {@link RingThread} and {@link SharedRing}:
 * its state (running, closing, cancelling, closed), why it failed if it did, refusing new
 * work, failing a broken ring's requests, and failing what is still queued once nobody
 * will issue it.
 *
 * <h2>Every request completes once</h2>
 * A request is taken from the inbox by exactly one thread (the ring's, or a submitter that
 * raced its end), and that thread issues it or fails it here. A submitter puts its request
 * in and then looks at the state; the ring sets {@link #CLOSED} and then looks at the
 * inbox: both sequentially consistent, so whichever looks last finds the request.
 */
final class RingClosing {
    static final int RUNNING = 0;
    static final int CLOSING = 1;
    static final int CANCELLING = 2;
    static final int CLOSED = 3;

    private final String name;
    private final Delivery delivery;
    private volatile int state = RUNNING;
    private volatile Throwable failure;

    RingClosing(String name, Delivery delivery) {
        this.name = name;
        this.delivery = delivery;
    }

    /** {@link #RUNNING}, {@link #CLOSING}, {@link #CANCELLING} or {@link #CLOSED}. */
    int state() {
        return state;
    }

    /** Why the ring stopped working, or null while it is healthy (or was closed normally). */
    Throwable failure() {
        return failure;
    }

    /** The ring's memory is gone, or about to be: nobody issues anything any more. */
    void closed() {
        state = CLOSED;
    }

    /** Starts closing: waiting for what is queued and in flight, or (with {@code cancel}) cancelling it. */
    synchronized void request(boolean cancel) {
        if (state == RUNNING) {
            state = cancel ? CANCELLING : CLOSING;
        } else if (cancel && state == CLOSING) {
            state = CANCELLING;
        }
    }

    void checkRunning() {
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException(name + " failed and takes no more requests: " + f.getMessage(), f);
        }
        if (state != RUNNING) {
            throw new IllegalStateException("engine closed");
        }
    }

    /** io_uring_enter failed for good, or the loop threw: fail everything in {@code loop}, refuse new work. */
    void broken(Throwable t, RingLoop loop) {
        failure = t;
        int errno = t instanceof RingFailedException rf ? rf.errno() : Errno.EIO;
        loop.failAll(errno, name + " failed: " + t.getMessage());
        System.getLogger("io.dioring").log(System.Logger.Level.ERROR,
                "dioring: " + name + " failed; its requests were failed and it takes no more", t);
    }

    /**
     * Fails what is queued; on any thread (the ring's at its end, or a submitter that raced
     * it). A released request that finished elsewhere, and only waited for its delivery,
     * is delivered instead.
     *
     * @param callbacksHere whether the calling thread may run inline callbacks (the ring's own)
     */
    void failQueued(Inbox inbox, boolean callbacksHere) {
        IoRequest r;
        while ((r = inbox.pollReleased()) != null) {
            if (r.completed()) {
                delivery.offload(r); // finished already; only its delivery was left to this ring
            } else {
                cancel(r, callbacksHere);
            }
        }
        while ((r = inbox.pollWhileClosing()) != null) {
            cancel(r, callbacksHere);
        }
    }

    void cancel(IoRequest r, boolean callbacksHere) {
        Throwable f = failure;
        String why = f != null ? name + " failed: " + f.getMessage() : "the engine was closed";
        CancellationException e = Aggregator.cancellation(r, why);
        if (f != null) {
            e.initCause(f);
        }
        if (callbacksHere) {
            delivery.fail(r, e, Errno.ECANCELED, true);
        } else {
            r.givenTo(null); // no ring to hand an inline result to any more
            delivery.fail(r, e, Errno.ECANCELED, false);
        }
    }

    /** Waits for the ring's thread to end, interrupts or not: its memory must not be freed under the kernel. */
    static void join(Thread thread) {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
