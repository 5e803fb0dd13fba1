package io.dioring.channel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Aligned native buffers that heap, unaligned and partial-block I/O is copied through.
 *
 * <p>Two size classes, each a bounded set of slots: {@link #SMALL_BYTES} for the common
 * small request (a 4 KiB read at any offset fits), {@link #LARGE_BYTES} for everything
 * else (larger requests are cut into chunks of that size by the caller). Taking from an
 * empty class allocates; giving to a full one drops the buffer. Memory comes from an
 * automatic arena: a buffer is freed only when nothing (neither a caller nor a request in
 * flight) refers to it, so the kernel never writes into freed memory. Lock-free: a slot is
 * taken and filled by compare-and-set.
 *
 * <p>Shared by every channel in the process (channels come and go; the buffers stay).
 */
final class BounceBuffers {
    /** Covers every DIO memory alignment we know of (4 KiB sectors included). */
    static final int ALIGNMENT = 4096;
    static final int SMALL_BYTES = 16 << 10;
    static final int LARGE_BYTES = 1 << 20;
    private static final int SMALL_SLOTS = 512;
    private static final int LARGE_SLOTS = 16;

    private static final BounceBuffers SHARED = new BounceBuffers();

    private final AtomicReferenceArray<MemorySegment> small = new AtomicReferenceArray<>(SMALL_SLOTS);
    private final AtomicReferenceArray<MemorySegment> large = new AtomicReferenceArray<>(LARGE_SLOTS);

    BounceBuffers() {}

    static BounceBuffers shared() {
        return SHARED;
    }

    /**
     * A buffer of at least {@code size} bytes (at most {@link #LARGE_BYTES}), aligned to
     * {@code alignment}; its contents are whatever the last user left.
     */
    MemorySegment take(long size, int alignment) {
        if (size <= 0 || size > LARGE_BYTES) {
            throw new IllegalArgumentException("bounce buffer of " + size + " bytes: must be 1.." + LARGE_BYTES);
        }
        if (alignment > ALIGNMENT) {
            return Arena.ofAuto().allocate(size, alignment); // a device stricter than any we pool for
        }
        boolean isSmall = size <= SMALL_BYTES;
        AtomicReferenceArray<MemorySegment> slots = isSmall ? small : large;
        int n = slots.length();
        int start = (int) (Thread.currentThread().threadId() % n);
        for (int i = 0; i < n; i++) {
            int at = (start + i) % n;
            MemorySegment s = slots.getPlain(at);
            if (s != null && slots.compareAndSet(at, s, null)) {
                return s;
            }
        }
        return Arena.ofAuto().allocate(isSmall ? SMALL_BYTES : LARGE_BYTES, ALIGNMENT);
    }

    /** Returns a buffer from {@link #take}; the caller must not use it afterwards. */
    void give(MemorySegment buffer) {
        long size = buffer.byteSize();
        AtomicReferenceArray<MemorySegment> slots = size == SMALL_BYTES ? small : size == LARGE_BYTES ? large : null;
        if (slots == null || (buffer.address() & (ALIGNMENT - 1)) != 0) {
            return; // a one-off buffer: the arena frees it
        }
        int n = slots.length();
        int start = (int) (Thread.currentThread().threadId() % n);
        for (int i = 0; i < n; i++) {
            int at = (start + i) % n;
            if (slots.getPlain(at) == null && slots.compareAndSet(at, null, buffer)) {
                return;
            }
        }
    }
}
