package io.dioring;

import java.util.concurrent.Executor;

/**
 * How an {@link IoEngine} is set up. Start from {@link #defaults()} and change what you
 * need with the {@code with...} methods.
 *
 * @param rings rings (and ring threads) in the engine; requests spread across them
 * @param queueDepth SQ entries per ring; the CQ is twice as large
 * @param maxIoBytes the most bytes one SQE carries; larger requests are split. The
 *        effective limit per file is the smaller of this and the device's max_sectors_kb
 * @param completionMode where callbacks run
 * @param completionExecutor the executor for {@link CompletionMode#DEFERRED}, or null for
 *        the engine's own (created lazily on first need)
 * @param ringOptions io_uring set-up flags to ask for
 * @param submitQueueCapacity requests waiting for a ring thread before submitters block
 * @param coalescing whether adjacent requests of one direction on one file, waiting in the
 *        same batch, are merged into one READV/WRITEV SQE (seed 004; each still gets its own
 *        result). On by default
 * @param threads platform threads in the {@link Backend#THREADS} pool: the most reads and
 *        writes it has in flight at once (each thread makes one blocking call at a time).
 *        Unused on io_uring. 32 by default, in [1, 1024]. On THREADS, {@code rings},
 *        {@code queueDepth} and {@code ringOptions} are unused: the threads bound what is in
 *        flight and {@code submitQueueCapacity} what waits for them
 * @param backend who executes the I/O ({@link Backend#AUTO} by default: io_uring where it can
 *        be set up, else the thread pool)
 * @param submission who enters the io_uring rings: the callers themselves
 *        ({@link Submission#CALLERS}), one thread per ring ({@link Submission#RING_THREADS}), or
 *        callers for blocking calls and ring threads for asynchronous ones
 *        ({@link Submission#BY_CALL}, the default). Unused on THREADS
 * @param cachedReads whether a blocking read of a file opened without O_DIRECT
 *        ({@code DirectFile.readFully}, the {@code FileChannel} view's reads) first tries
 *        preadv2(2) with RWF_NOWAIT on the calling thread: what the page cache holds is copied
 *        there, with no ring turn; anything else goes to the ring as before. On by default
 */
public record EngineConfig(int rings, int queueDepth, int maxIoBytes, CompletionMode completionMode,
        Executor completionExecutor, RingOptions ringOptions, int submitQueueCapacity, boolean coalescing,
        int threads, Backend backend, Submission submission, boolean cachedReads) {

    /** 1 MiB: past this, bigger SQEs buy nothing on the devices we measured. */
    public static final int DEFAULT_MAX_IO_BYTES = 1 << 20;

    public EngineConfig {
        check(rings >= 1 && rings <= 64, "rings", rings, "must be in [1, 64]");
        check(queueDepth >= 1 && queueDepth <= 4096, "queueDepth", queueDepth, "must be in [1, 4096]");
        check(maxIoBytes >= 4096 && Integer.bitCount(maxIoBytes) == 1, "maxIoBytes", maxIoBytes,
                "must be a power of two, at least 4096");
        check(submitQueueCapacity >= 1, "submitQueueCapacity", submitQueueCapacity, "must be positive");
        check(threads >= 1 && threads <= 1024, "threads", threads, "must be in [1, 1024]");
        if (completionMode == null || ringOptions == null || backend == null || submission == null) {
            throw new IllegalArgumentException("completionMode, ringOptions, backend and submission must not be null");
        }
    }

    /** Platform threads of the {@link Backend#THREADS} pool unless configured: 32. */
    public static final int DEFAULT_THREADS = 32;

    /** The configuration without the cached-reads switch: cached reads on. */
    public EngineConfig(int rings, int queueDepth, int maxIoBytes, CompletionMode completionMode,
            Executor completionExecutor, RingOptions ringOptions, int submitQueueCapacity, boolean coalescing,
            int threads, Backend backend, Submission submission) {
        this(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions, submitQueueCapacity,
                coalescing, threads, backend, submission, true);
    }

    /** The configuration without the submission choice: {@link Submission#BY_CALL}. */
    public EngineConfig(int rings, int queueDepth, int maxIoBytes, CompletionMode completionMode,
            Executor completionExecutor, RingOptions ringOptions, int submitQueueCapacity, boolean coalescing,
            int threads, Backend backend) {
        this(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions, submitQueueCapacity,
                coalescing, threads, backend, Submission.BY_CALL);
    }

    /** The configuration without the backend choice: {@link Backend#AUTO}, {@link #DEFAULT_THREADS} threads. */
    public EngineConfig(int rings, int queueDepth, int maxIoBytes, CompletionMode completionMode,
            Executor completionExecutor, RingOptions ringOptions, int submitQueueCapacity, boolean coalescing) {
        this(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions, submitQueueCapacity,
                coalescing, DEFAULT_THREADS, Backend.AUTO);
    }

    /** The configuration without the coalescing switch: coalescing on. */
    public EngineConfig(int rings, int queueDepth, int maxIoBytes, CompletionMode completionMode,
            Executor completionExecutor, RingOptions ringOptions, int submitQueueCapacity) {
        this(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions, submitQueueCapacity,
                true);
    }

    private static void check(boolean ok, String name, long value, String rule) {
        if (!ok) {
            throw new IllegalArgumentException(name + " = " + value + ": " + rule);
        }
    }

    /**
     * Rings unless configured: one per CPU the JVM may use, at most 4. A ring thread makes
     * the kernel's side of every request on its ring (the issue, and on a fast device the
     * copy itself), so one ring is bound to one CPU. Measured on 2 CPUs, 4 KiB random reads
     * from 32 virtual threads: on ext4 over zram (CPU-bound) 2 rings gave 1.5-1.6x one ring,
     * on the virtio disk 1.08-1.13x. Past 4 it is not measured here; ask for more with
     * {@link #withRings}.
     */
    public static final int DEFAULT_RINGS = Math.min(Runtime.getRuntime().availableProcessors(), 4);

    /**
     * {@link #DEFAULT_RINGS} rings of 128 entries, 1 MiB slices, deferred completion, coalescing on, backend AUTO
     * (a pool of 32 threads where io_uring is unavailable).
     */
    public static EngineConfig defaults() {
        return new EngineConfig(DEFAULT_RINGS, 128, DEFAULT_MAX_IO_BYTES, CompletionMode.DEFERRED, null,
                RingOptions.defaults(), 1024, true, DEFAULT_THREADS, Backend.AUTO, Submission.BY_CALL, true);
    }

    public EngineConfig withRings(int n) {
        return new EngineConfig(n, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing, threads, backend, submission, cachedReads);
    }

    public EngineConfig withQueueDepth(int n) {
        return new EngineConfig(rings, n, maxIoBytes, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing, threads, backend, submission, cachedReads);
    }

    public EngineConfig withMaxIoBytes(int n) {
        return new EngineConfig(rings, queueDepth, n, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing, threads, backend, submission, cachedReads);
    }

    public EngineConfig withCompletionMode(CompletionMode mode) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, mode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing, threads, backend, submission, cachedReads);
    }

    public EngineConfig withCompletionExecutor(Executor executor) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, executor, ringOptions,
                submitQueueCapacity, coalescing, threads, backend, submission, cachedReads);
    }

    public EngineConfig withRingOptions(RingOptions options) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, options,
                submitQueueCapacity, coalescing, threads, backend, submission, cachedReads);
    }

    public EngineConfig withSubmitQueueCapacity(int n) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions, n,
                coalescing, threads, backend, submission, cachedReads);
    }

    /** Turns coalescing of adjacent requests into one READV/WRITEV SQE on or off. */
    public EngineConfig withCoalescing(boolean on) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, on, threads, backend, submission, cachedReads);
    }

    /** Platform threads of the {@link Backend#THREADS} pool (see {@link #threads()}). */
    public EngineConfig withThreads(int n) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing, n, backend, submission, cachedReads);
    }

    /** Who executes the I/O: io_uring, the thread pool, or AUTO (io_uring where it can be set up). */
    public EngineConfig withBackend(Backend b) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing, threads, b, submission, cachedReads);
    }

    /** Who enters the io_uring rings: the callers, a thread per ring, or each by the kind of call (see {@link Submission}). */
    public EngineConfig withSubmission(Submission s) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing, threads, backend, s, cachedReads);
    }

    /** Turns the page-cache fast path of blocking buffered reads on or off (see {@link #cachedReads()}). */
    public EngineConfig withCachedReads(boolean on) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing, threads, backend, submission, on);
    }
}
