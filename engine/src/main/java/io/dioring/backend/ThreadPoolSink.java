package io.dioring.backend;

import io.dioring.deliver.Completion;
import io.dioring.deliver.Delivery;
import io.dioring.ffi.Errno;
import io.dioring.reap.Aggregator;
import io.dioring.request.IoRequest;
import io.dioring.request.ReleaseSink;
import io.dioring.request.RequestSink;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The thread-pool backend (where io_uring is blocked): a bounded queue of requests and a
 * bounded pool of platform threads that carry them out with pread/pwrite/preadv/pwritev/
 * fsync/fdatasync ({@link PoolWorker}). Virtual threads never make these calls: a blocking
 * native call pins its carrier.
 *
 * <p>It is a {@link RequestSink} like a ring thread, with the same contract:
 * <ul>
 * <li>{@link #accept} blocks while {@code capacity} requests wait (back-pressure); a caller
 *     interrupted while it waits gets InterruptedIOException and its request is not taken; a
 *     caller with its interrupt flag set is not refused while there is room. A closed pool
 *     refuses with IllegalStateException.
 * <li>{@link #release} never blocks: released and handed-back requests wait outside the
 *     bound. Once every worker has ended, it finishes the request itself (cancelled, or
 *     delivered on the offload executor), so it still completes exactly once.
 * <li>Each worker is the "ring" of the requests it runs: their results go to
 *     {@link Delivery#onRing} there (inline callbacks run on it, deferred ones go to the
 *     executor, blocking waiters are unparked). A request whose {@link IoRequest#sink()} is
 *     another sink (an owned ring's queue) is handed back to that sink instead, to be
 *     delivered on its owner's thread.
 * <li>{@link #close close(false)} waits until everything queued and running has finished;
 *     {@code close(true)} fails what is queued with CancellationException, exactly once each,
 *     and waits for the calls already made (a blocking syscall cannot be cancelled).
 * </ul>
 *
 * <p>Requests queued together, one right after the other on one file in one direction, are
 * taken together and made into one preadv/pwritev when the file allows coalescing (see
 * {@link PoolWorker}): the queue is ordered and taken under one lock, so a worker sees the
 * requests that wait behind the one it takes.
 */
public final class ThreadPoolSink implements RequestSink {
    private static final ThreadLocal<ThreadPoolSink> CURRENT = new ThreadLocal<>();

    private static final int RUNNING = 0;
    private static final int CLOSING = 1;
    private static final int CANCELLING = 2;

    private final String name;
    private final int capacity;
    private final Delivery delivery;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    /** New requests, at most {@code capacity}. Guarded by {@link #lock}. */
    private final ArrayDeque<IoRequest> queue;
    /** Released, handed-back and worker-submitted requests: unbounded. Guarded by {@link #lock}. */
    private final ArrayDeque<IoRequest> released = new ArrayDeque<>();
    private final Thread[] threads;
    /** Workers that have not ended. Guarded by {@link #lock}. */
    private int live;
    /** Guarded by {@link #lock}; read without it for messages only. */
    private volatile int state = RUNNING;
    private final PositionalIo io;
    private final LongAdder syscalls = new LongAdder();
    private final LongAdder coalesced = new LongAdder();
    /** Runs a request a worker will wait for itself, on that worker (its merged path is never used). */
    private final PoolWorker nested;

    /**
     * Starts {@code threadCount} platform threads named {@code name-0...}.
     *
     * @param capacity requests that may wait before {@link #accept} blocks
     * @param delivery where results go (each worker counts as their ring)
     */
    public ThreadPoolSink(String name, int threadCount, int capacity, Delivery delivery) {
        this(name, threadCount, capacity, delivery, PositionalIo.LIBC);
    }

    /** As above, making its calls through {@code io} (tests inject faults there). */
    public ThreadPoolSink(String name, int threadCount, int capacity, Delivery delivery, PositionalIo io) {
        this.io = io;
        this.nested = new PoolWorker(io, syscalls, coalesced, this::deliver);
        if (threadCount < 1 || capacity < 1) {
            throw new IllegalArgumentException("thread pool " + name + ": threads = " + threadCount
                    + " and capacity = " + capacity + " must both be positive");
        }
        this.name = name;
        this.capacity = capacity;
        this.delivery = delivery;
        this.queue = new ArrayDeque<>(capacity);
        this.threads = new Thread[threadCount];
        this.live = threadCount;
        for (int i = 0; i < threadCount; i++) {
            PoolWorker worker = new PoolWorker(io, syscalls, coalesced, this::deliver);
            threads[i] = Thread.ofPlatform().name(name + "-" + i).daemon(true).unstarted(() -> runWorker(worker));
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    /** The pool the calling thread is a worker of, or null. */
    public static ThreadPoolSink current() {
        return CURRENT.get();
    }

    /** Worker threads. */
    public int threadCount() {
        return threads.length;
    }

    /** Data and sync syscalls made so far (resubmissions and retries included). */
    public long syscalls() {
        return syscalls.sum();
    }

    /** Requests that went out inside another request's preadv/pwritev: the calls coalescing saved. */
    public long coalescedRequests() {
        return coalesced.sum();
    }

    /** Whether every worker has ended (the pool was closed and drained). */
    public boolean isTerminated() {
        for (Thread t : threads) {
            if (t.isAlive()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void accept(IoRequest r) throws InterruptedIOException {
        if (CURRENT.get() == this) {
            acceptOnWorker(r);
            return;
        }
        lock.lock(); // not lockInterruptibly: a caller with its interrupt flag set is not refused while there is room
        try {
            checkRunning();
            while (queue.size() >= capacity) {
                try {
                    notFull.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for room in the submit queue of "
                            + name + " (" + capacity + " places, all taken); the " + r.opName() + " at offset "
                            + r.offset() + " of " + r.file().path() + " was not submitted");
                }
                checkRunning();
            }
            queue.addLast(r);
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Queues as many of {@code requests[from..to)} as fit under one lock, and wakes the workers once. */
    @Override
    public int acceptAll(IoRequest[] requests, int from, int to) {
        if (CURRENT.get() == this) {
            return from; // on a worker: accept() carries each out as acceptOnWorker does
        }
        lock.lock();
        try {
            checkRunning();
            int i = from;
            while (i < to && queue.size() < capacity) {
                queue.addLast(requests[i++]);
            }
            if (i > from) {
                notEmpty.signalAll();
            }
            return i;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A request submitted from an inline callback running on a worker. It never waits for
     * room (every worker could be in a callback, and nobody would make room). A synchronous
     * request the worker itself will wait for (an extending write) is carried out right here:
     * waiting for another worker to take it could wait for ever if all of them did the same.
     */
    private void acceptOnWorker(IoRequest r) {
        if (r.ticket().waiter() == Thread.currentThread()) {
            nested.runAndFinish(r);
            return;
        }
        lock.lock();
        try {
            released.addLast(r);
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void release(IoRequest r) {
        lock.lock();
        try {
            if (live > 0) {
                released.addLast(r);
                notEmpty.signal();
                return;
            }
        } finally {
            lock.unlock();
        }
        // Every worker has ended: nobody will look at the queues again.
        if (r.completed()) {
            delivery.offload(r);
        } else {
            cancel(r, false);
        }
    }

    private void checkRunning() {
        if (state != RUNNING) {
            throw new IllegalStateException("engine closed");
        }
    }

    /**
     * Stops the pool: with {@code cancel} false, waits until everything queued and running
     * has finished; with {@code cancel} true, fails what is queued with CancellationException
     * and waits for the calls already made. Returns at once when called on a worker (from an
     * inline callback): the workers end once they are done.
     */
    public void close(boolean cancel) {
        List<IoRequest> cancelled = new ArrayList<>();
        lock.lock();
        try {
            if (state == RUNNING) {
                state = cancel ? CANCELLING : CLOSING;
            } else if (cancel && state == CLOSING) {
                state = CANCELLING;
            }
            if (state == CANCELLING) {
                takeUnfinished(queue, cancelled);
                takeUnfinished(released, cancelled);
            }
            notEmpty.signalAll();
            notFull.signalAll(); // blocked submitters see the pool closed
        } finally {
            lock.unlock();
        }
        for (IoRequest r : cancelled) {
            cancel(r, false);
        }
        if (CURRENT.get() == this) {
            return;
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true; // a worker may still be in a syscall on engine memory
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void takeUnfinished(ArrayDeque<IoRequest> from, List<IoRequest> to) {
        for (var it = from.iterator(); it.hasNext(); ) {
            IoRequest r = it.next();
            if (!r.completed()) {
                it.remove();
                to.add(r);
            }
        }
    }

    private void runWorker(PoolWorker worker) {
        CURRENT.set(this);
        try {
            IoRequest r;
            while ((r = take()) != null) {
                worker.run(r);
            }
        } catch (Throwable t) {
            // A bug of the engine: report it; the other workers carry on with the queue.
            Thread current = Thread.currentThread();
            current.getUncaughtExceptionHandler().uncaughtException(current, t);
        } finally {
            worker.close();
            lock.lock();
            try {
                live--;
                notEmpty.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * The next request to run, with the requests that continue it linked through
     * its cursor's {@code nextMerged} when it may be coalesced; null once the pool is closed and
     * nothing is left. Released requests go first: they were accepted earlier.
     */
    private IoRequest take() {
        while (true) {
            IoRequest head;
            lock.lock();
            try {
                while (queue.isEmpty() && released.isEmpty()) {
                    if (state != RUNNING) {
                        return null;
                    }
                    notEmpty.awaitUninterruptibly();
                }
                ArrayDeque<IoRequest> from = released.isEmpty() ? queue : released;
                head = from.pollFirst();
                boolean cancelling = state == CANCELLING && !head.completed();
                if (!cancelling) {
                    PoolWorker.gatherContiguous(head, from);
                }
                if (from == queue) {
                    notFull.signalAll(); // one place or more came free
                }
                if (!cancelling) {
                    return head;
                }
            } finally {
                lock.unlock();
            }
            cancel(head, true); // on this worker, its ring: outside the lock (delivery may run a callback)
        }
    }

    /**
     * Fails a request that was never run (the pool is closing with cancel, or has ended),
     * exactly once: with {@code onWorker}, delivered as any result of this worker; else never
     * on the caller's stack (an owned ring's request still goes to its owner).
     */
    void cancel(IoRequest r, boolean onWorker) {
        var e = Aggregator.cancellation(r, "the engine was closed");
        if (onWorker || r.sink() instanceof PoolClient) {
            Completion.concludeUnissued(r, e, Errno.ECANCELED);
            deliver(r);
            return;
        }
        if (r.sink() == this) {
            r.givenTo(null); // no worker to hand an inline result to any more: the offload executor runs it
        }
        delivery.fail(r, e, Errno.ECANCELED, false);
    }

    /** Delivers a finished request: here if it is ours, else handed back to the sink it belongs to. */
    void deliver(IoRequest r) {
        ReleaseSink<IoRequest> owner = r.sink();
        if (owner == null || owner == this) {
            delivery.onRing(r);
        } else if (owner instanceof PoolClient client) {
            client.finishedOnPool(r);
        } else {
            owner.release(r);
        }
    }

    @Override
    public String toString() {
        return name + " (" + threads.length + " threads, " + capacity + " queued at most)";
    }
}
