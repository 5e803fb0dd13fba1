package io.dioring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Aligned off-heap buffers for direct I/O, owned by an {@link IoEngine}.
 *
 * <p>Memory comes from one shared arena that lives as long as the engine: it is freed only
 * after the engine's rings have finished (or cancelled) every request, so the kernel
 * never writes into freed memory. Buffers are zeroed.
 *
 * <p>Buffers from here can be registered with an owned ring
 * ({@link OwnedRing#registerBuffers}) so their I/O goes out as READ_FIXED/WRITE_FIXED. The
 * kernel then pins them in RAM (they count against RLIMIT_MEMLOCK unless the process has
 * CAP_IPC_LOCK); the engine's arena outlives every ring, so they stay valid while
 * registered.
 */
public final class IoBuffers {
    /** Covers the DIO memory alignment of every device we know (4 KiB sectors included). */
    public static final int DEFAULT_ALIGNMENT = 4096;

    private final Arena arena;

    IoBuffers(Arena arena) {
        this.arena = arena;
    }

    /** {@code size} bytes aligned to {@link #DEFAULT_ALIGNMENT}. */
    public MemorySegment allocate(long size) {
        return allocate(size, DEFAULT_ALIGNMENT);
    }

    /**
     * {@code size} bytes aligned to {@code alignment}.
     *
     * @throws IllegalArgumentException if size is negative or alignment not a power of two
     */
    public MemorySegment allocate(long size, long alignment) {
        if (size < 0) {
            throw new IllegalArgumentException("buffer size " + size + " is negative");
        }
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("buffer alignment " + alignment + " is not a power of two");
        }
        return arena.allocate(Math.max(size, 1), alignment).asSlice(0, size);
    }

    /** A buffer suited to {@code file}: aligned to its DIO memory alignment, or 4096. */
    public MemorySegment allocateFor(DirectFile file, long size) {
        return allocate(size, Math.max(DEFAULT_ALIGNMENT, file.memoryAlignment()));
    }
}
