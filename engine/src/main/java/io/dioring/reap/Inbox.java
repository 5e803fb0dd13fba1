package io.dioring.reap;

import io.dioring.request.BoundedQueue;
import io.dioring.request.IoRequest;
import java.io.InterruptedIOException;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A ring's bounded inbox of new requests with its back-pressure: a submitter that finds it
 * full parks until a drain makes room, the ring stops taking requests, or it is interrupted.
 * Beside it, an unbounded queue of released requests (from ordering holds, or finished
 * elsewhere and handed back to be delivered), which never blocks the releasing thread: a
 * ring's thread releasing into another ring's full inbox could otherwise deadlock with it.
 * Shared by {@link RingThread} and {@link SharedRing}; what a waiting submitter does to get
 * the inbox drained (wake the ring thread, or drive the ring) is theirs.
 */
final class Inbox {
    private final String ring;
    private final BoundedQueue<IoRequest> queue;
    /** Released and handed-back requests: never blocks the releasing thread. */
    private final ConcurrentLinkedQueue<IoRequest> released = new ConcurrentLinkedQueue<>();
    /** Submitters parked until the inbox has room; woken after each drain that found any. */
    private final ConcurrentLinkedQueue<Thread> roomWaiters = new ConcurrentLinkedQueue<>();

    Inbox(String ring, int capacity) {
        this.ring = ring;
        this.queue = new BoundedQueue<>(capacity);
    }

    boolean offer(IoRequest r) {
        return queue.offer(r);
    }

    IoRequest poll() {
        return queue.poll();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /**
     * Takes the next request, waiting for one a submitter has taken a place for and not yet
     * filled; null once the inbox is empty. For the drain at the end, after the ring is
     * closed: a submitter's filling of its place is a release store, which its look at the
     * ring's state may overtake, so {@link #poll}'s miss would not prove it saw the close.
     * The place itself (the tail) is taken with a CAS: whichever of the two looks last finds
     * the other.
     */
    IoRequest pollWhileClosing() {
        while (true) {
            IoRequest r = queue.poll();
            if (r != null || queue.isEmpty()) {
                return r;
            }
            Thread.onSpinWait(); // a submitter between taking its place and filling it
        }
    }

    void release(IoRequest r) {
        released.add(r);
    }

    IoRequest pollReleased() {
        return released.poll();
    }

    boolean noneReleased() {
        return released.isEmpty();
    }

    /** Whether requests wait in the inbox or were released (any thread; sequentially consistent). */
    boolean hasWork() {
        return !queue.isEmpty() || !released.isEmpty();
    }

    /**
     * Parks until {@code r} fits. Each time round: {@code checkRunning} (throws once the ring
     * takes no more), the interrupt, then {@code nudge} (make sure someone drains), then a
     * park of {@code parkNanos} (0: until unparked).
     *
     * @throws InterruptedIOException if interrupted while waiting; {@code r} was not taken
     *         and the interrupt flag is set again
     */
    void waitForRoom(IoRequest r, Runnable checkRunning, Runnable nudge, long parkNanos)
            throws InterruptedIOException {
        Thread me = Thread.currentThread();
        roomWaiters.add(me);
        try {
            while (!queue.offer(r)) {
                checkRunning.run();
                if (Thread.interrupted()) {
                    me.interrupt();
                    throw new InterruptedIOException("interrupted while waiting for room in the submit queue of "
                            + ring + " (" + queue.capacity() + " places, all taken); the " + r.opName()
                            + " at offset " + r.offset() + " of " + r.file().path() + " was not submitted");
                }
                nudge.run();
                if (parkNanos > 0) {
                    LockSupport.parkNanos(this, parkNanos);
                } else {
                    LockSupport.park(this);
                }
            }
        } finally {
            roomWaiters.remove(me);
        }
    }

    /** Unparks the submitters waiting for room (after a drain, or when the ring closes). */
    void wakeRoomWaiters() {
        // Full fence: the drain's release stores of freed cells must be visible before we read
        // the waiter list, or a waiter that enqueued itself and re-checked just before could sleep on.
        VarHandle.fullFence();
        if (roomWaiters.isEmpty()) {
            return;
        }
        for (Thread t : roomWaiters) {
            LockSupport.unpark(t);
        }
    }
}
