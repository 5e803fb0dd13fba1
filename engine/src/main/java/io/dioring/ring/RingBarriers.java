package io.dioring.ring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Every memory-ordering access dioring makes to ring memory shared with the kernel.
 *
 * <p>Names follow JCTools: {@code lv} is a load with acquire semantics, {@code so} an
 * ordered (release) store, {@code lp}/{@code sp} plain accesses. The kernel side of each
 * pairing is in io_uring/io_uring.c ("smp_load_acquire"/"smp_store_release" on the same
 * indices).
 */
final class RingBarriers {
    /** (MemorySegment, long offset) -> int, for aligned 32-bit ring indices. */
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private RingBarriers() {}

    /**
     * The SQ head the kernel has consumed up to. Acquire: once we see the kernel moved the
     * head past an SQE, the kernel is done reading that SQE and we may overwrite it.
     */
    static int lvSqHead(MemorySegment ring, long offset) {
        return (int) INT.getAcquire(ring, offset);
    }

    /**
     * Publishes the SQ tail. Release: the SQE contents (and the SQ array entries) written
     * before this store must be visible to the kernel before it sees the new tail.
     */
    static void soSqTail(MemorySegment ring, long offset, int tail) {
        INT.setRelease(ring, offset, tail);
    }

    /**
     * The CQ tail the kernel has produced up to. Acquire: the CQE contents the kernel
     * wrote before moving the tail must be visible before we read them.
     */
    static int lvCqTail(MemorySegment ring, long offset) {
        return (int) INT.getAcquire(ring, offset);
    }

    /**
     * The CQ head as we last published it, read by a thread other than the one that stored
     * it (a ring driven by several threads under a lock). Acquire: pairs with
     * {@link #soCqHead}'s release.
     */
    static int lvCqHead(MemorySegment ring, long offset) {
        return (int) INT.getAcquire(ring, offset);
    }

    /**
     * Releases CQEs back to the kernel. Release: our reads of the CQEs must complete
     * before the kernel may see the slots as free and overwrite them.
     */
    static void soCqHead(MemorySegment ring, long offset, int head) {
        INT.setRelease(ring, offset, head);
    }

    /**
     * SQ flags (NEED_WAKEUP, CQ_OVERFLOW, TASKRUN). Acquire: pairs with the kernel's
     * update so a flag seen set is not older than the tail we just stored.
     */
    static int lvSqFlags(MemorySegment ring, long offset) {
        return (int) INT.getAcquire(ring, offset);
    }

    /**
     * SQ flags right after we published a new SQ tail, for SQPOLL's NEED_WAKEUP test. Full
     * fence: the SQ thread sets NEED_WAKEUP, issues smp_mb(), then re-reads the tail before
     * it sleeps; our tail store and this load must not be reordered either (store-load), or
     * both sides could miss each other and the SQEs would sit unsubmitted (liburing's
     * sq_ring_needs_enter does the same with io_uring_smp_mb()).
     */
    static int lvSqFlagsAfterTailStore(MemorySegment ring, long offset) {
        VarHandle.fullFence();
        return (int) INT.getAcquire(ring, offset);
    }

    /**
     * Writes the CQ ring's flags word (IORING_CQ_EVENTFD_DISABLED), which only we write and
     * the kernel reads each time it posts a CQE. Volatile (sequentially consistent): when
     * notifications are switched back on, the caller then loads the CQ tail
     * ({@link #lvCqTailAfterFlagsStore}); this store and that load must not be reordered
     * (store-load), or a CQE posted in between could find notifications still off while we
     * find its tail not yet moved, and nobody would reap it. The kernel's side of the pairing
     * is the full barrier between its tail store and its read of this word
     * (io_commit_cqring, then io_cqring_wake's wq_has_sleeper smp_mb(), then the eventfd
     * check in __io_commit_cqring_flush).
     */
    static void svCqFlags(MemorySegment ring, long offset, int flags) {
        INT.setVolatile(ring, offset, flags);
    }

    /**
     * The CQ tail, right after {@link #svCqFlags} switched notifications on: volatile, so it
     * is ordered after that store (see there); acquire for the CQE contents as {@link #lvCqTail}.
     */
    static int lvCqTailAfterFlagsStore(MemorySegment ring, long offset) {
        return (int) INT.getVolatile(ring, offset);
    }

    /** A plain read for counters only we or only the kernel write, read for reporting. */
    static int lpInt(MemorySegment ring, long offset) {
        return ring.get(ValueLayout.JAVA_INT, offset);
    }

    /** A plain store to memory the kernel does not read concurrently (SQ array set-up). */
    static void spInt(MemorySegment ring, long offset, int value) {
        ring.set(ValueLayout.JAVA_INT, offset, value);
    }
}
