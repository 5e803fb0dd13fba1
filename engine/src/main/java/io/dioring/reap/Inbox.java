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
 * Shared by {@link RingThread} and {@link SharedRing}; what a waiting submitter does to get
 * the inbox drained (wake the ring thread, or drive the ring) is theirs.
 */
final class Inbox {
    private final String ring;
    private final BoundedQueue<IoRequest> queue;
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
