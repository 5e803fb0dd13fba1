package io.dioring;

import io.dioring.ring.RingOptions;
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
 */
public record EngineConfig(int rings, int queueDepth, int maxIoBytes, CompletionMode completionMode,
        Executor completionExecutor, RingOptions ringOptions, int submitQueueCapacity, boolean coalescing) {

    /** 1 MiB: past this, bigger SQEs buy nothing on the devices we measured. */
    public static final int DEFAULT_MAX_IO_BYTES = 1 << 20;

    public EngineConfig {
        check(rings >= 1 && rings <= 64, "rings", rings, "must be in [1, 64]");
        check(queueDepth >= 1 && queueDepth <= 4096, "queueDepth", queueDepth, "must be in [1, 4096]");
        check(maxIoBytes >= 4096 && Integer.bitCount(maxIoBytes) == 1, "maxIoBytes", maxIoBytes,
                "must be a power of two, at least 4096");
        check(submitQueueCapacity >= 1, "submitQueueCapacity", submitQueueCapacity, "must be positive");
        if (completionMode == null || ringOptions == null) {
            throw new IllegalArgumentException("completionMode and ringOptions must not be null");
        }
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

    /** One ring of 128 entries, 1 MiB slices, deferred completion, coalescing on. */
    public static EngineConfig defaults() {
        return new EngineConfig(1, 128, DEFAULT_MAX_IO_BYTES, CompletionMode.DEFERRED, null,
                RingOptions.defaults(), 1024, true);
    }

    public EngineConfig withRings(int n) {
        return new EngineConfig(n, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing);
    }

    public EngineConfig withQueueDepth(int n) {
        return new EngineConfig(rings, n, maxIoBytes, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing);
    }

    public EngineConfig withMaxIoBytes(int n) {
        return new EngineConfig(rings, queueDepth, n, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing);
    }

    public EngineConfig withCompletionMode(CompletionMode mode) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, mode, completionExecutor, ringOptions,
                submitQueueCapacity, coalescing);
    }

    public EngineConfig withCompletionExecutor(Executor executor) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, executor, ringOptions,
                submitQueueCapacity, coalescing);
    }

    public EngineConfig withRingOptions(RingOptions options) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, options,
                submitQueueCapacity, coalescing);
    }

    public EngineConfig withSubmitQueueCapacity(int n) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions, n,
                coalescing);
    }

    /** Turns coalescing of adjacent requests into one READV/WRITEV SQE on or off. */
    public EngineConfig withCoalescing(boolean on) {
        return new EngineConfig(rings, queueDepth, maxIoBytes, completionMode, completionExecutor, ringOptions,
                submitQueueCapacity, on);
    }
}
