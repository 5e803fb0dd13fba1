package io.dioring.tools.dd;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * dd's writes on a thread of their own, so that writing one block overlaps reading the
 * next ones on another CPU. On a device where the CPU is the limit (zram, a warm page
 * cache) a copy that reads and writes on one thread takes read time plus write time; with
 * the writes here it takes about the larger of the two.
 *
 * <p><b>Crash consistency.</b> The writer makes the writes strictly in submission order,
 * one at a time: each starts only after every earlier one has completed. A write that
 * extends the file therefore never runs beside an earlier one, and the output is a prefix
 * of the source at every moment (what a copy cut short by SIGKILL, ENOSPC or power loss
 * leaves). After a write fails, the writes queued behind it are never made: they fail with
 * {@link #CANCELLED}, so nothing lands behind a failed write.
 *
 * <p>Used by one submitting thread (dd's copy loop): {@link #submit} and {@link #awaitOldest}
 * are called from it only; the writer thread makes the writes. The copy loop sleeps on a
 * full queue until a few writes have completed (not just one), and the writer sleeps only
 * when it has nothing to write, so neither wakes the other for every block.
 */
final class DdWriterThread implements AutoCloseable {
    /** Makes one write, blocking: all of {@code src} at {@code offset}, or an exception. */
    @FunctionalInterface
    interface Writes {
        long write(long offset, MemorySegment src) throws Exception;
    }

    /** The failure of a write queued behind one that failed: it was never made. */
    static final Exception CANCELLED = new Exception("not written: an earlier write failed", null, false, false) {
        private static final long serialVersionUID = 1L;
    };

    /** One write, handed from the copy loop to the writer and back. */
    static final class Write {
        final long offset;
        final MemorySegment src;
        final long sequence;
        long result;
        Throwable failure;
        /** Written last by the writer: publishes result and failure. */
        volatile boolean done;

        Write(long offset, MemorySegment src, long sequence) {
            this.offset = offset;
            this.src = src;
            this.sequence = sequence;
        }
    }

    private static final Write STOP = new Write(-1, null, -1);
    /** Spins before sleeping, so a write about to complete does not cost a park and an unpark. */
    private static final int SPINS = 200;

    private final Writes writes;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Write> queue = new ConcurrentLinkedQueue<>();
    /** Submitted and not yet awaited, oldest first (the copy loop's side). */
    private final ArrayDeque<Write> inFlight = new ArrayDeque<>();
    private long submitted;
    /** Sequence number of the last write the writer finished (made, failed or cancelled). */
    private volatile long finished = -1;
    /** The copy loop, while it sleeps waiting for {@link #wakeAt}. */
    private volatile Thread waiter;
    private volatile long wakeAt = Long.MAX_VALUE;
    /** Whether the writer sleeps (or is about to) for want of work. */
    private volatile boolean idle;
    private boolean stopped;

    /** Starts the writer thread, named {@code name}. */
    DdWriterThread(Writes writes, String name) {
        this.writes = writes;
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
        thread.start();
    }

    /** Writes submitted and not yet awaited. */
    int inFlight() {
        return inFlight.size();
    }

    /** Queues a write of {@code src} at {@code offset}. */
    void submit(long offset, MemorySegment src) {
        if (stopped) {
            throw new IllegalStateException("writer thread closed: no write at " + offset + " can be queued");
        }
        Write w = new Write(offset, src, submitted++);
        inFlight.addLast(w);
        queue.add(w);
        if (idle) {
            LockSupport.unpark(thread);
        }
    }

    /** Waits for the oldest write and returns it (done: its result or failure is set). */
    Write awaitOldest() {
        Write w = inFlight.pollFirst();
        if (w == null) {
            throw new IllegalStateException("await with no write submitted");
        }
        if (w.done) {
            return w;
        }
        for (int i = 0; i < SPINS && !w.done; i++) {
            Thread.onSpinWait();
        }
        if (!w.done) {
            // Sleep until half of what is queued is written: the copy loop then has room for
            // several blocks at once, and the writer stays busy meanwhile.
            long last = submitted - 1;
            wakeAt = Math.min(last, w.sequence + inFlight.size() / 2);
            waiter = Thread.currentThread();
            while (!w.done) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(50)); // no wake-up is ever lost; bounded anyway
            }
            waiter = null;
            wakeAt = Long.MAX_VALUE;
        }
        return w;
    }

    private void run() {
        boolean failedBefore = false;
        while (true) {
            Write w = queue.poll();
            if (w == null) {
                idle = true;
                w = queue.poll(); // submit may have queued it before seeing idle
                if (w == null) {
                    LockSupport.park(this);
                    idle = false;
                    continue;
                }
                idle = false;
            }
            if (w == STOP) {
                return;
            }
            if (failedBefore) {
                w.failure = CANCELLED;
            } else {
                try {
                    w.result = writes.write(w.offset, w.src);
                } catch (Throwable t) {
                    w.failure = t;
                }
            }
            failedBefore |= w.failure != null;
            w.done = true;
            finished = w.sequence;
            Thread t = waiter;
            if (t != null && (w.sequence >= wakeAt || queue.isEmpty())) {
                LockSupport.unpark(t);
            }
        }
    }

    /**
     * Awaits every write still in flight, then ends the writer thread. The caller has
     * awaited what it needed; anything left is waited for here, never abandoned while the
     * kernel may still read its buffer.
     */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        while (!inFlight.isEmpty()) {
            awaitOldest();
        }
        stopped = true;
        queue.add(STOP);
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
