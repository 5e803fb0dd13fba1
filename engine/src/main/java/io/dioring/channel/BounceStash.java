package io.dioring.channel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Small aligned bounce buffers for the channels' copies (heap buffers, unaligned spans), kept
 * in a few lock-free slots shared by every channel of the JVM, so a small read or write
 * through a bounce buffer takes one from a slot with one atomic swap and puts it back with
 * one compare-and-set.
 *
 * <p>Why: the engine's buffer pool ({@code IoBuffers.take}/{@code give}) is one monitor for
 * every thread; Lucene's {@code NIOFSDirectory} makes dozens of 1 KiB reads into heap buffers
 * per search, from hundreds of virtual threads, and each took and gave back a bounce buffer
 * under that monitor (8% of a boolean search's samples in {@code readBounced}, perf).
 *
 * <p>A thread starts at the slot its id hashes to and tries one neighbour. An empty pair of
 * slots makes a new buffer; a full pair drops the given one. Buffers are made in
 * {@link Arena#ofAuto()}: a dropped (or never given back) buffer is freed by the garbage
 * collector, never while referenced, so never while the kernel may write it (an I/O is never
 * abandoned: the engine's blocking calls return only once the kernel is done with it).
 *
 * <p>Only for buffered files: their reads mostly end on the caller's thread in the page cache
 * ({@code io.dioring.backend.CachedRead}), and need no alignment. An O_DIRECT file's bounce
 * buffers come from the engine's pool, whose slabs are registered with the rings
 * (READ_FIXED/WRITE_FIXED; a stashed buffer is not registered anywhere). A buffer is
 * {@value #BYTES} bytes; larger spans use the pool too.
 */
final class BounceStash {
    /** Bytes of a stashed buffer: spans up to this go through the stash. */
    static final int BYTES = 32 << 10;
    /** Memory alignment of a stashed buffer: a cache line (a buffered file needs none). */
    private static final int ALIGNMENT = 64;
    /** Slots of the stash; one in every {@link #STRIDE} entries of the array is used, so slots sit on their own cache lines. */
    private static final int SLOTS = Integer.highestOneBit(Math.max(8, 4 * Runtime.getRuntime().availableProcessors()));
    private static final int STRIDE = 16;
    private static final AtomicReferenceArray<BounceStash> STASH = new AtomicReferenceArray<>(SLOTS * STRIDE);

    private final MemorySegment whole = Arena.ofAuto().allocate(BYTES, ALIGNMENT);
    /** The slice last asked for: a reader asking for the same span again (Lucene's 1 KiB) gets it back, nothing allocated. */
    private MemorySegment last = whole;

    private BounceStash() {}

    /** A buffer, the caller's alone until it gives it back with {@link #give}. */
    static BounceStash take() {
        int home = home();
        BounceStash b = STASH.getAndSet(home * STRIDE, null);
        if (b == null) {
            b = STASH.getAndSet(((home + 1) & (SLOTS - 1)) * STRIDE, null);
            if (b == null) {
                b = new BounceStash();
            }
        }
        return b;
    }

    /** Its first {@code span} bytes, {@code span} at most {@link #BYTES}. */
    MemorySegment slice(int span) {
        if (last.byteSize() != span) {
            last = span == BYTES ? whole : whole.asSlice(0, span);
        }
        return last;
    }

    /** Gives back a buffer from {@link #take} that no I/O is using any more. */
    static void give(BounceStash buffer) {
        int home = home();
        if (!STASH.compareAndSet(home * STRIDE, null, buffer)) {
            STASH.compareAndSet(((home + 1) & (SLOTS - 1)) * STRIDE, null, buffer); // else dropped: the GC frees it
        }
    }

    private static int home() {
        long id = Thread.currentThread().threadId();
        return (int) (id ^ (id >>> 16)) & (SLOTS - 1);
    }
}
