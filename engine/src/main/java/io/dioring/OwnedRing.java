package io.dioring;

import io.dioring.reap.RingLoop;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestSink;
import io.dioring.ring.Ring;
import io.dioring.ring.RingOptions;
import io.dioring.ring.RingSetupException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Owner-driven mode: a ring owned by one thread, which queues requests and polls
 * completions itself, with no hand-off to another thread. For benchmarks, copy tools and
 * thread-per-core designs.
 *
 * <p>Only the creating thread may call it. Completion handlers run inline, on that thread,
 * inside {@link #poll()} or {@link #await(int)}. Queued requests are submitted in one
 * io_uring_enter per poll.
 *
 * <pre>{@code
 * try (OwnedRing ring = engine.ownedRing()) {
 *     ring.read(file, 0, buffer, null, handler);
 *     ring.await(1);
 * }
 * }</pre>
 */
public final class OwnedRing implements AutoCloseable, RequestSink {
    private final IoEngine engine;
    private final Ring ring;
    private final RingLoop loop;
    private final Thread owner;
    /** Requests released from another thread (ordering holds), picked up on the next poll. */
    private final ConcurrentLinkedQueue<IoRequest> released = new ConcurrentLinkedQueue<>();
    private boolean closed;

    OwnedRing(IoEngine engine, int entries, RingOptions options) throws RingSetupException {
        this.engine = engine;
        this.owner = Thread.currentThread();
        // SINGLE_ISSUER binds the ring to an OS thread; a virtual thread may move between them.
        RingOptions effective = owner.isVirtual() ? options.withoutSingleIssuer() : options;
        this.ring = Ring.create(entries, effective);
        ring.registerRingFd();
        this.loop = new RingLoop(ring, ring.cqEntries(), null, null);
    }

    /** The underlying ring (set-up flags, counters). */
    public Ring ring() {
        return ring;
    }

    /** Queues a read of {@code dst.byteSize()} bytes at {@code offset}; see {@link DirectFile#read}. */
    public <A> void read(DirectFile file, long offset, MemorySegment dst, A attachment,
            CompletionHandler<? super A> handler) {
        checkOwner();
        file.submit(IoRequest.READ, offset, dst, attachment, handler, null, this, true);
    }

    /** Queues a write of {@code src} at {@code offset}; see {@link DirectFile#write}. */
    public <A> void write(DirectFile file, long offset, MemorySegment src, A attachment,
            CompletionHandler<? super A> handler) {
        checkOwner();
        file.submit(IoRequest.WRITE, offset, src, attachment, handler, null, this, true);
    }

    /** Submits what is queued and runs the handlers of whatever has completed; never blocks. */
    public int poll() {
        checkOwner();
        pickUpReleased();
        loop.prepare();
        loop.submit(false);
        return loop.reap();
    }

    /**
     * Submits what is queued and blocks until at least {@code minCompletions} requests'
     * slices have come back (or nothing is left in flight), running handlers as they do.
     *
     * @return CQEs reaped
     */
    public int await(int minCompletions) {
        checkOwner();
        int reaped = 0;
        do {
            pickUpReleased();
            loop.prepare();
            boolean wait = loop.inFlight() > 0 && released.isEmpty();
            loop.submit(wait);
            reaped += loop.reap();
        } while (reaped < minCompletions && (loop.busy() || !released.isEmpty()));
        return reaped;
    }

    /** Runs until everything queued or in flight has completed. */
    public void drain() {
        checkOwner();
        while (loop.busy() || !released.isEmpty()) {
            await(1);
        }
    }

    /** Slices in flight. */
    public int inFlight() {
        return loop.inFlight();
    }

    /** Whether anything is queued or in flight. */
    public boolean busy() {
        return loop.busy() || !released.isEmpty();
    }

    /** SQEs issued so far. */
    public long slicesIssued() {
        return loop.slicesIssued();
    }

    /** Requests that went out inside another request's READV/WRITEV SQE: SQEs saved by coalescing. */
    public long coalescedRequests() {
        return loop.coalescedRequests();
    }

    /** Takes a request (on the owner thread, straight into the loop; otherwise via a queue). */
    @Override
    public void accept(IoRequest r) {
        if (Thread.currentThread() == owner) {
            if (closed) {
                throw new IllegalStateException("owned ring closed");
            }
            loop.add(r);
        } else {
            released.add(r);
        }
    }

    /** Drives the ring until {@code r} is delivered (synchronous paths on the owner thread). */
    void runUntilDelivered(IoRequest r) {
        while (!r.delivered) {
            pickUpReleased();
            loop.prepare();
            loop.submit(loop.inFlight() > 0 && released.isEmpty());
            loop.reap();
        }
    }

    boolean isOwner() {
        return Thread.currentThread() == owner;
    }

    private void pickUpReleased() {
        IoRequest r;
        while ((r = released.poll()) != null) {
            loop.add(r);
        }
    }

    private void checkOwner() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an OwnedRing is used only by the thread that created it ("
                    + owner + "), not " + Thread.currentThread());
        }
        if (closed) {
            throw new IllegalStateException("owned ring closed");
        }
    }

    /** Waits for everything in flight, then releases the ring. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        checkOwner();
        drain();
        closed = true;
        ring.close();
        engine.forget(this);
    }
}
