package io.dioring;

import io.dioring.deliver.Delivery;
import io.dioring.ffi.Errno;
import io.dioring.reap.Aggregator;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestSink;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * Where an owned ring's requests are handed (the engine's own view of the ring; not part of
 * the public API, so users see no {@code accept}/{@code release} on an owned ring), and the
 * owner's side of driving it whatever the backend: who the owner is, how deep in reaps it
 * is, the work handlers left for after their reap, requests released from other threads,
 * and whether the ring is closed. Its {@link OwnerDriver} moves requests and results.
 */
final class OwnerSink implements RequestSink {
    private final Thread owner;
    private final OwnerDriver driver;
    /** Where the ring's results go: inline on the owner; off it (closed ring), the engine's offload executor. */
    private final Delivery delivery;
    /** Requests released from another thread (ordering holds, hand-backs), picked up on the next poll. */
    private final Queue<IoRequest> released;
    /** Extending writes queued by handlers, carried out after the reap that ran them. */
    private final ArrayDeque<Runnable> afterReap = new ArrayDeque<>();
    /** Reaps under way on the owner thread (handlers that poll again nest them). */
    private int reapDepth;
    /** Read by other threads releasing held requests. */
    private volatile boolean closed;

    /** {@code released} is the queue {@code driver} picks released requests up from. */
    OwnerSink(Thread owner, OwnerDriver driver, Delivery delivery, Queue<IoRequest> released) {
        this.owner = owner;
        this.driver = driver;
        this.delivery = delivery;
        this.released = released;
    }

    @Override
    public boolean kernelRing() {
        return driver.kernelRing();
    }

    @Override
    public boolean callerInHandler() {
        return inHandler();
    }

    /**
     * Runs {@code task} on the owner once the handlers of the current reap have returned
     * (DirectFile's extending writes queued from a handler).
     */
    @Override
    public void afterReap(Runnable task) {
        afterReap.addLast(task);
    }

    @Override
    public boolean drivenByCaller() {
        return isOwner();
    }

    /** Drives the ring until {@code r} is delivered (synchronous paths on the owner thread, outside handlers). */
    @Override
    public void runUntilDelivered(IoRequest r) {
        assert !inHandler() : "a synchronous wait inside a completion handler would nest reaps";
        while (!r.ticket().delivered()) {
            turn(true);
        }
    }

    /** Takes a request on the owner thread, straight into the ring (THREADS: to the pool, may block for room). */
    @Override
    public void accept(IoRequest r) throws InterruptedIOException {
        if (closed) {
            throw new IllegalStateException("owned ring closed");
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an OwnedRing takes requests only from its owner " + owner);
        }
        driver.accept(r);
    }

    /** Takes a released or handed-back request from any thread; picked up on the owner's next poll. */
    @Override
    public void release(IoRequest r) {
        if (!closed && driver.takeBack(r)) {
            return;
        }
        released.add(r);
        if (closed) {
            failReleased(); // raced with close(): nobody will poll the queue again
        }
    }

    private void failReleased() {
        IoRequest r;
        while ((r = released.poll()) != null) {
            r.givenTo(null);
            if (r.completed()) {
                delivery.offload(r);
            } else {
                delivery.fail(r, Aggregator.cancellation(r, "its owned ring closed while it waited behind a write"),
                        Errno.ECANCELED, false);
            }
        }
    }

    /**
     * One turn of the owner's loop: picks up released requests, writes and submits what is
     * queued (with {@code wait}, blocking for a completion if one can come), reaps. Writing
     * and reaping count as reaps: handlers run inside, on the owner thread.
     *
     * @return CQEs reaped (on THREADS: requests delivered)
     */
    int turn(boolean wait) {
        driver.pickUp();
        reapDepth++;
        try {
            driver.prepare();
        } finally {
            reapDepth--;
        }
        driver.submit(wait);
        reapDepth++;
        try {
            return driver.reap();
        } finally {
            reapDepth--;
        }
    }

    /** Runs what handlers left for after their reap (extending writes), outside any handler. */
    void runAfterReap() {
        Runnable task;
        while ((task = afterReap.pollFirst()) != null) {
            task.run();
        }
    }

    /** Whether anything is queued or in flight. */
    boolean busy() {
        return driver.busy() || !afterReap.isEmpty();
    }

    boolean isOwner() {
        return Thread.currentThread() == owner;
    }

    /** Whether the calling thread is the owner, running one of the ring's completion handlers. */
    boolean inHandler() {
        return isOwner() && reapDepth > 0;
    }

    void checkOwnerOutsideHandler(String call) {
        checkOwner();
        if (reapDepth > 0) {
            throw new IllegalStateException(call + "() called from a completion handler of this ring: a handler may "
                    + "queue reads and writes, which go out when it returns, but not poll, await, drain or close "
                    + "the ring that runs it");
        }
    }

    void checkOwner() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an OwnedRing is used only by the thread that created it ("
                    + owner + "), not " + Thread.currentThread());
        }
        if (closed) {
            throw new IllegalStateException("owned ring closed");
        }
    }

    boolean closed() {
        return closed;
    }

    /** Closes, once nothing is in flight: fails what is released from now on, then lets the driver go. */
    void close() {
        closed = true;
        failReleased();
        driver.close();
    }
}
