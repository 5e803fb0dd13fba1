package io.dioring.backend;

import io.dioring.deliver.Delivery;
import io.dioring.request.IoRequest;
import io.dioring.request.ReleaseSink;
import io.dioring.request.RequestSink;
import java.io.InterruptedIOException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * An owned ring on the thread-pool backend: its requests run on the engine's pool, and their
 * results come back here, to be delivered on the owner's thread when it polls
 * ({@link #deliverReady}). Handlers thus run on the owner, never inside the submitting call
 * and never on a pool thread.
 *
 * <p>While a request is on the pool its {@link IoRequest#sink()} is this object, so the pool
 * hands it back here when it is done ({@link #finishedOnPool}); those are counted
 * ({@link #inPool()}) so the owner knows what it still waits for. Requests that finished
 * without reaching the pool (or are handed back a second time) come through
 * {@link #handBack} or {@link #release} and are not counted.
 */
public final class OwnerCompletions implements RequestSink, PoolClient {
    private final ThreadPoolSink pool;
    private final Thread owner;
    private final Delivery delivery;
    /** Finished on the pool: counted in {@link #inPool}. */
    private final ConcurrentLinkedQueue<IoRequest> fromPool = new ConcurrentLinkedQueue<>();
    /** Finished elsewhere (never on the pool) and handed to the owned ring: not counted. */
    private final ConcurrentLinkedQueue<IoRequest> handedBack = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inPool = new AtomicInteger();
    private volatile boolean ownerWaiting;

    /**
     * @param pool the engine's pool
     * @param owner the owned ring's thread
     * @param delivery the owned ring's delivery (inline: handlers run on the owner)
     */
    public OwnerCompletions(ThreadPoolSink pool, Thread owner, Delivery delivery) {
        this.pool = pool;
        this.owner = owner;
        this.delivery = delivery;
    }

    /** On the owner: sends a new request to the pool; may block for room (back-pressure). */
    @Override
    public void accept(IoRequest r) throws InterruptedIOException {
        ReleaseSink<IoRequest> previous = r.sink();
        r.givenTo(this);
        inPool.incrementAndGet();
        try {
            pool.accept(r);
        } catch (InterruptedIOException | RuntimeException e) {
            inPool.decrementAndGet();
            r.givenTo(previous);
            throw e;
        }
    }

    /** On a pool thread: a request of ours is finished; it is delivered on the owner. */
    @Override
    public void finishedOnPool(IoRequest r) {
        fromPool.add(r);
        wakeOwner();
    }

    /**
     * Any thread: a request of ours handed back after its trip to the pool (a finished one
     * delivered elsewhere first, such as an extending write), or one to go on there.
     */
    @Override
    public void release(IoRequest r) {
        if (r.completed()) {
            handedBack.add(r);
            wakeOwner();
        } else {
            pool.release(r); // still counted: it never left the pool's hands
        }
    }

    /**
     * Any thread: a request of the owned ring that never reached the pool, released from an
     * ordering hold (sent to the pool now) or finished elsewhere (delivered on the owner).
     */
    public void handBack(IoRequest r) {
        if (r.completed()) {
            handedBack.add(r);
            wakeOwner();
            return;
        }
        r.givenTo(this);
        inPool.incrementAndGet();
        pool.release(r);
    }

    /** On the owner: delivers every finished request (handlers run here). */
    public int deliverReady() {
        int n = 0;
        IoRequest r;
        while ((r = handedBack.poll()) != null) {
            delivery.onRing(r);
            n++;
        }
        while ((r = fromPool.poll()) != null) {
            inPool.decrementAndGet();
            delivery.onRing(r);
            n++;
        }
        return n;
    }

    /** On the owner: blocks until a result is ready or nothing is left on the pool. */
    public void awaitReady() {
        boolean interrupted = false;
        ownerWaiting = true;
        try {
            // ownerWaiting is written before the queues are read, and a producer adds before it
            // reads ownerWaiting (both volatile): one of the two always sees the other.
            while (fromPool.isEmpty() && handedBack.isEmpty() && inPool.get() > 0) {
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    interrupted = true; // the requests are on the pool; waiting for them is the only way out
                }
            }
        } finally {
            ownerWaiting = false;
        }
        if (interrupted) {
            owner.interrupt();
        }
    }

    private void wakeOwner() {
        if (ownerWaiting) {
            LockSupport.unpark(owner);
        }
    }

    /** Requests on the pool, or finished there and not yet delivered. */
    public int inPool() {
        return inPool.get();
    }

    /** Whether anything is on the pool or waiting to be delivered. */
    public boolean busy() {
        return inPool.get() > 0 || !fromPool.isEmpty() || !handedBack.isEmpty();
    }
}
