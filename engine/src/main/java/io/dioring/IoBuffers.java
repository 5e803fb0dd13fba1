package io.dioring;

import io.dioring.ring.BufferSlabs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Aligned off-heap buffers for direct I/O, owned by an {@link IoEngine}: allocated for
 * good ({@link #allocate}) or taken from and given back to a bounded pool
 * ({@link #take}/{@link #give}).
 *
 * <p>All memory comes from one shared arena that lives as long as the engine: it is freed
 * only after the engine's rings have finished (or cancelled) every request, so the kernel
 * never writes into freed memory, whatever the caller does with a buffer. A pooled buffer
 * given back while a request on it is still in flight is a caller bug that can corrupt the
 * next taker's data, never the JVM. Buffers are zeroed when first allocated; a pooled
 * buffer taken again holds what its last user left.
 *
 * <p>Caller-owned memory: a segment from an {@link Arena} of the caller's may be used for
 * I/O too. The engine refuses a segment whose arena is already closed, but cannot stop an
 * arena being closed while a request on it is in flight: do not close an arena with I/O in
 * flight on its memory (the kernel would write into freed memory). Engine buffers are
 * immune to this.
 *
 * <p>Pooled buffers are carved from slabs ({@link #SLAB_BYTES}, or one slab per buffer of a
 * larger class), which the pool never frees before the engine. Every slab is registered
 * with each of the engine's rings as it appears ({@link BufferSlabs}), so I/O on a pooled
 * buffer goes out as READ_FIXED/WRITE_FIXED and the kernel does not pin its pages per
 * request; the engine's rings are closed before its arena, so the registered memory stays
 * valid while registered. Registered memory is pinned in RAM and counts against
 * RLIMIT_MEMLOCK (once per ring) unless the process has CAP_IPC_LOCK; where the kernel
 * refuses, I/O on it goes out as plain READ/WRITE ({@link IoEngine#registeredBuffers}).
 * Buffers from {@link #allocate} are not in a slab; they can be registered with an owned
 * ring ({@link OwnedRing#registerBuffers}).
 *
 * <p>Thread-safe; {@link #take} and {@link #give} take one lock and allocate nothing but the
 * returned slice once the pool has warmed.
 */
public final class IoBuffers {
    /** Covers the DIO memory alignment of every device we know (4 KiB sectors included). */
    public static final int DEFAULT_ALIGNMENT = 4096;
    /** Smallest pooled size class. */
    private static final int MIN_CLASS_SHIFT = 12;
    /** Largest pooled size class: 64 MiB. */
    private static final int MAX_CLASS_SHIFT = 26;
    /** Idle buffers kept per size class. */
    private static final int IDLE_PER_CLASS = 256;
    /** Pooled buffers are aligned to their size up to this (covers any DIO alignment). */
    private static final long MAX_POOL_ALIGNMENT = 1 << 16;
    /** Bytes of a slab that pooled buffers of up to half its size are carved from. */
    public static final long SLAB_BYTES = 1L << 20;
    /** Bytes the pool may have taken from the arena in all, by default. */
    public static final long DEFAULT_POOL_LIMIT_BYTES = 1L << 30;

    private final Arena arena;
    private final long poolLimitBytes;
    // Pool bookkeeping, all under this object's monitor (one acquisition per take or give).
    @SuppressWarnings({"unchecked", "rawtypes"})
    private final ArrayDeque<MemorySegment>[] idle = new ArrayDeque[MAX_CLASS_SHIFT + 1];
    /** Start addresses of pooled buffers, sorted, in {@code [0, pooledCount)}. */
    private long[] pooledStarts = new long[16];
    /** Each pooled buffer whole, by position. */
    private MemorySegment[] pooledSegments = new MemorySegment[16];
    /** Size class (log2 of the size) of each pooled buffer, by position. */
    private int[] pooledClass = new int[16];
    /** Whether each pooled buffer is handed out, by position. */
    private boolean[] pooledTaken = new boolean[16];
    private int pooledCount;
    /** Slabs the pool carves buffers from, in order; the engine's rings register them. */
    private final BufferSlabs slabs = new BufferSlabs();
    private final long slabBytes;
    /** The slab small buffers are carved from now, and how much of it is used. */
    private MemorySegment slab;
    private long slabUsed;
    private long slabBytesTotal;
    private int takenCount;
    private long pooledBytes;

    IoBuffers(Arena arena, long poolLimitBytes) {
        this.arena = arena;
        this.poolLimitBytes = poolLimitBytes;
        this.slabBytes = Math.min(SLAB_BYTES, Long.highestOneBit(Math.max(poolLimitBytes, MAX_POOL_ALIGNMENT)));
        for (int shift = MIN_CLASS_SHIFT; shift <= MAX_CLASS_SHIFT; shift++) {
            idle[shift] = new ArrayDeque<>();
        }
    }

    IoBuffers(Arena arena) {
        this(arena, DEFAULT_POOL_LIMIT_BYTES);
    }

    /** {@code size} bytes aligned to {@link #DEFAULT_ALIGNMENT}, never freed before the engine. */
    public MemorySegment allocate(long size) {
        return allocate(size, DEFAULT_ALIGNMENT);
    }

    /**
     * {@code size} bytes aligned to {@code alignment}, never freed before the engine.
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

    /**
     * A pooled buffer of exactly {@code size} bytes, aligned to at least 4096 (to its size
     * class, up to 64 KiB). Give it back with {@link #give} when no request uses it any more.
     *
     * @throws IllegalArgumentException if {@code size} is not in [1, 64 MiB]
     * @throws IllegalStateException when the pool has taken its limit (1 GiB by default) from
     *         the arena and none of that size is idle
     */
    public MemorySegment take(long size) {
        if (size < 1 || size > 1L << MAX_CLASS_SHIFT) {
            throw new IllegalArgumentException("pooled buffer size " + size + " must be in [1, "
                    + (1L << MAX_CLASS_SHIFT) + "]");
        }
        int shift = Math.max(MIN_CLASS_SHIFT, 64 - Long.numberOfLeadingZeros(size - 1));
        synchronized (this) {
            MemorySegment buffer = idle[shift].pollLast();
            if (buffer == null) {
                buffer = grow(shift);
            }
            int index = indexOf(buffer.address());
            assert index >= 0 && !pooledTaken[index] : "an idle buffer was handed out or unknown";
            pooledTaken[index] = true;
            takenCount++;
            return size == buffer.byteSize() ? buffer : buffer.asSlice(0, size); // a whole class: no new segment
        }
    }

    /** A pooled buffer for {@code file}: as {@link #take(long)}, checked against its alignment. */
    public MemorySegment takeFor(DirectFile file, long size) {
        MemorySegment b = take(size);
        if ((b.address() & (file.memoryAlignment() - 1)) != 0) {
            give(b);
            throw new IllegalArgumentException("pooled buffers are aligned to at most " + MAX_POOL_ALIGNMENT
                    + " bytes; " + file.path() + " needs " + file.memoryAlignment() + " (use allocateFor)");
        }
        return b;
    }

    /**
     * Gives back a buffer from {@link #take}. It must not be used afterwards, and no request
     * may still be in flight on it.
     *
     * @throws IllegalArgumentException for a segment that did not come from {@link #take}
     *         (a slice of it, another allocation) or that was given back already
     */
    public void give(MemorySegment buffer) {
        if (buffer == null || !buffer.scope().equals(arena.scope())) {
            throw new IllegalArgumentException("give: " + buffer + " is not a buffer taken from this pool");
        }
        synchronized (this) {
            int index = indexOf(buffer.address());
            if (index < 0) {
                throw new IllegalArgumentException("give: " + buffer + " is not a buffer taken from this pool");
            }
            if (!pooledTaken[index]) {
                throw new IllegalArgumentException("give: buffer at 0x" + Long.toHexString(buffer.address())
                        + " was given back already");
            }
            pooledTaken[index] = false;
            takenCount--;
            idle[pooledClass[index]].addLast(pooledSegments[index]);
        }
    }

    /** Buffers of the pool handed out and not given back. */
    public synchronized int takenCount() {
        return takenCount;
    }

    /** Bytes the pool has taken from the arena so far. */
    public synchronized long pooledBytes() {
        return pooledBytes;
    }

    /** Bytes of the slabs the pool carved its buffers from (what it took from the arena). */
    public synchronized long slabBytes() {
        return slabBytesTotal;
    }

    /** The pool's slabs, for the engine's rings to register. */
    BufferSlabs slabs() {
        return slabs;
    }

    /**
     * {@code bytes} (a power of two) aligned to its size up to 64 KiB: carved from the current
     * slab, or a new one; a buffer of more than half a slab is a slab of its own.
     */
    private MemorySegment carve(long bytes) {
        long align = Math.min(bytes, MAX_POOL_ALIGNMENT);
        if (bytes > slabBytes / 2) {
            MemorySegment own = arena.allocate(bytes, align);
            slabs.add(own);
            slabBytesTotal += bytes;
            return own;
        }
        long at = slab == null ? slabBytes : (slabUsed + align - 1) & -align;
        if (at + bytes > slabBytes) {
            slab = arena.allocate(slabBytes, MAX_POOL_ALIGNMENT);
            slabs.add(slab);
            slabBytesTotal += slabBytes;
            at = 0;
        }
        slabUsed = at + bytes;
        return slab.asSlice(at, bytes);
    }

    /** A new pooled buffer of class {@code shift}; called holding the monitor. */
    private MemorySegment grow(int shift) {
        long bytes = 1L << shift;
        if (pooledBytes + bytes > poolLimitBytes) {
            throw new IllegalStateException("buffer pool exhausted: " + pooledBytes + " bytes handed out of a limit "
                    + "of " + poolLimitBytes + "; give buffers back, or allocate() long-lived ones");
        }
        MemorySegment buffer = carve(bytes);
        int at = -Arrays.binarySearch(pooledStarts, 0, pooledCount, buffer.address()) - 1;
        assert at >= 0 : "two pooled buffers at one address";
        if (pooledCount == pooledStarts.length) {
            pooledStarts = Arrays.copyOf(pooledStarts, 2 * pooledCount);
            pooledSegments = Arrays.copyOf(pooledSegments, 2 * pooledCount);
            pooledClass = Arrays.copyOf(pooledClass, 2 * pooledCount);
            pooledTaken = Arrays.copyOf(pooledTaken, 2 * pooledCount);
        }
        System.arraycopy(pooledStarts, at, pooledStarts, at + 1, pooledCount - at);
        System.arraycopy(pooledSegments, at, pooledSegments, at + 1, pooledCount - at);
        System.arraycopy(pooledClass, at, pooledClass, at + 1, pooledCount - at);
        System.arraycopy(pooledTaken, at, pooledTaken, at + 1, pooledCount - at);
        pooledStarts[at] = buffer.address();
        pooledSegments[at] = buffer;
        pooledClass[at] = shift;
        pooledTaken[at] = false;
        pooledCount++;
        pooledBytes += bytes;
        return buffer;
    }

    private int indexOf(long address) {
        int i = Arrays.binarySearch(pooledStarts, 0, pooledCount, address);
        return i >= 0 ? i : -1;
    }
}
