package io.dioring.tools.bench;

import io.dioring.CompletionHandler;
import io.dioring.DirectFile;
import io.dioring.IoEngine;
import io.dioring.OwnedRing;
import io.dioring.RingSetupException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * One bench job: a platform thread with its own {@link OwnedRing}, keeping {@code qd} I/Os
 * in flight until the deadline. Completion handlers run inline on the job's thread and
 * resubmit the slot at once.
 *
 * <p>Nothing is allocated per I/O: the slots (buffer + start time) exist once per job,
 * offsets come from a {@link SplittableRandom} (primitive results), latencies go into a
 * pre-sized {@link Histogram}, and the engine's callback path recycles its requests.
 *
 * <p>With {@code fixedBuffers} the job registers its {@code qd} buffers with its ring, so
 * every I/O goes out as READ_FIXED/WRITE_FIXED (sequential I/O that the engine coalesces
 * into READV/WRITEV stays vectored).
 */
final class BenchJob implements Runnable, CompletionHandler<BenchJob.Slot> {
    /** Highest latency the histogram tracks; longer ones are clamped (and would say enough). */
    static final long MAX_TRACKED_LATENCY_NS = 3_600_000_000_000L;
    /** How long a job waits at the end for its writes held behind other jobs' writes. */
    private static final long HELD_WRITES_TIMEOUT_NANOS = 60_000_000_000L;
    private static final long HELD_WRITES_POLL_NANOS = 50_000L;

    /**
     * {@code ios} and {@code bytes} are written by the job's thread only and read once a second
     * by the status line's: opaque stores and loads keep each value whole (no torn long) without
     * a fence on the I/O path.
     */
    private static final VarHandle IOS;
    private static final VarHandle BYTES;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            IOS = lookup.findVarHandle(BenchJob.class, "ios", long.class);
            BYTES = lookup.findVarHandle(BenchJob.class, "bytes", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One I/O in flight: its buffer and when it was queued. */
    static final class Slot {
        final MemorySegment buffer;
        long startNanos;

        Slot(MemorySegment buffer) {
            this.buffer = buffer;
        }
    }

    private final IoEngine engine;
    private final DirectFile file;
    private final Workload workload;
    private final int bs;
    private final int qd;
    private final long blocks;
    private final long runtimeNanos;
    private final boolean fixedBuffers;
    private final int submitBatch;
    private final CountDownLatch ready;
    private final CountDownLatch go;
    private final SplittableRandom random;
    private final Histogram latency = new Histogram(MAX_TRACKED_LATENCY_NS, 3);
    private long nextSequentialBlock;

    private OwnedRing ring;
    private boolean stopping;
    /**
     * I/Os issued whose handler has not run yet. The ring's own count misses a write the
     * engine holds behind an overlapping write of another job (it joins this ring only when
     * that write completes), so the job waits on this one before it closes its ring.
     */
    private int outstanding;
    private long ios;
    private long bytes;
    private long enterCalls;
    private long fixedIssued;
    private long cpuNanos = -1;
    private long elapsedNanos;
    private Throwable failure;

    BenchJob(IoEngine engine, DirectFile file, Workload workload, int bs, int qd, long blocks, long runtimeNanos,
            boolean fixedBuffers, int submitBatch, int index, int jobs, long seed, CountDownLatch ready,
            CountDownLatch go) {
        this.engine = engine;
        this.file = file;
        this.workload = workload;
        this.bs = bs;
        this.qd = qd;
        this.blocks = blocks;
        this.runtimeNanos = runtimeNanos;
        this.fixedBuffers = fixedBuffers;
        this.submitBatch = submitBatch;
        this.ready = ready;
        this.go = go;
        this.random = new SplittableRandom(seed + 0x9E3779B97F4A7C15L * (index + 1));
        // Sequential jobs start spread over the file so they do not read the same blocks.
        this.nextSequentialBlock = blocks * index / jobs;
    }

    @Override
    public void run() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        boolean cpuTimed = mx.isCurrentThreadCpuTimeSupported();
        boolean released = false;
        try (OwnedRing owned = engine.ownedRing(qd)) {
            ring = owned;
            owned.submitBatch(submitBatch);
            Slot[] slots = new Slot[qd];
            MemorySegment[] buffers = new MemorySegment[qd];
            for (int i = 0; i < qd; i++) {
                MemorySegment buffer = engine.buffers().allocateFor(file, bs);
                if (workload.writes()) {
                    fillRandom(buffer, random);
                }
                buffers[i] = buffer;
                slots[i] = new Slot(buffer);
            }
            if (fixedBuffers) {
                try {
                    owned.registerBuffers(buffers);
                } catch (RingSetupException e) {
                    throw new IOException(e.getMessage() + " (run with --no-fixed-buffers to bench without "
                            + "registered buffers)", e);
                }
            }
            ready.countDown();
            released = true;
            go.await();
            long cpuStart = cpuTimed ? mx.getCurrentThreadCpuTime() : -1;
            long enterStart = owned.enterCalls();
            long start = System.nanoTime();
            long deadline = start + runtimeNanos;
            for (Slot s : slots) {
                issue(s);
            }
            while (!stopping) {
                owned.await(1);
                if (System.nanoTime() - deadline >= 0) {
                    stopping = true;
                }
            }
            owned.drain();
            awaitHeldWrites(owned);
            elapsedNanos = System.nanoTime() - start;
            enterCalls = owned.enterCalls() - enterStart;
            fixedIssued = owned.fixedIssued();
            if (cpuTimed) {
                cpuNanos = mx.getCurrentThreadCpuTime() - cpuStart;
            }
        } catch (Throwable t) {
            if (failure == null) {
                failure = t;
            }
        } finally {
            if (!released) {
                ready.countDown();
            }
        }
    }

    /**
     * Waits for this job's I/Os that the ring does not count yet: writes held behind another
     * job's overlapping write, released to this ring when that one completes (closing the
     * ring before would cancel them). The other job completes its writes before it closes
     * its own ring, so this ends; {@link #HELD_WRITES_TIMEOUT_NANOS} bounds it all the same.
     */
    private void awaitHeldWrites(OwnedRing owned) throws IOException {
        long deadline = System.nanoTime() + HELD_WRITES_TIMEOUT_NANOS;
        while (outstanding > 0) {
            if (owned.busy()) {
                owned.await(1);
                continue;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IOException(outstanding + " I/O(s) of job " + Thread.currentThread().getName()
                        + " still wait behind other jobs' writes after "
                        + HELD_WRITES_TIMEOUT_NANOS / 1_000_000_000L + " s");
            }
            LockSupport.parkNanos(HELD_WRITES_POLL_NANOS);
            owned.poll(); // picks up what was released meanwhile
        }
    }

    private void issue(Slot s) {
        outstanding++;
        long offset = nextOffset();
        s.startNanos = System.nanoTime();
        boolean write = workload == Workload.RANDRW ? random.nextBoolean() : workload.writes();
        try {
            if (write) {
                ring.write(file, offset, s.buffer, s, this);
            } else {
                ring.read(file, offset, s.buffer, s, this);
            }
        } catch (RuntimeException e) {
            outstanding--; // not taken: its handler will not run
            throw e;
        }
    }

    private long nextOffset() {
        long block;
        if (workload.random()) {
            block = random.nextLong(blocks);
        } else {
            block = nextSequentialBlock;
            nextSequentialBlock = block + 1 == blocks ? 0 : block + 1;
        }
        return block * bs;
    }

    @Override
    public void completed(long transferred, Slot s) {
        outstanding--;
        long ns = System.nanoTime() - s.startNanos;
        latency.recordValue(Math.min(Math.max(ns, 1), MAX_TRACKED_LATENCY_NS));
        IOS.setOpaque(this, ios + 1);
        BYTES.setOpaque(this, bytes + transferred);
        if (!stopping) {
            issue(s);
        }
    }

    @Override
    public void failed(Throwable t, Slot s) {
        outstanding--;
        if (failure == null) {
            failure = t;
        }
        stopping = true;
    }

    private static void fillRandom(MemorySegment buffer, SplittableRandom random) {
        long n = buffer.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            buffer.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
        }
        for (; i < n; i++) {
            buffer.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        }
    }

    Histogram latency() {
        return latency;
    }

    long ios() {
        return ios;
    }

    /** I/Os completed so far, safe to read from another thread while the job runs. */
    long progressIos() {
        return (long) IOS.getOpaque(this);
    }

    /** Bytes transferred so far, safe to read from another thread while the job runs. */
    long progressBytes() {
        return (long) BYTES.getOpaque(this);
    }

    long bytes() {
        return bytes;
    }

    /** SQEs this job issued as READ_FIXED/WRITE_FIXED. */
    long fixedIssued() {
        return fixedIssued;
    }

    long enterCalls() {
        return enterCalls;
    }

    /** CPU time of the job's thread during the run, or -1 where the JVM cannot tell. */
    long cpuNanos() {
        return cpuNanos;
    }

    long elapsedNanos() {
        return elapsedNanos;
    }

    Throwable failure() {
        return failure;
    }
}
