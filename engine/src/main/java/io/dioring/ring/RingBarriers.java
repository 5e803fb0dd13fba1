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

    /** A plain read for counters only we or only the kernel write, read for reporting. */
    static int lpInt(MemorySegment ring, long offset) {
        return ring.get(ValueLayout.JAVA_INT, offset);
    }

    /** A plain store to memory the kernel does not read concurrently (SQ array set-up). */
    static void spInt(MemorySegment ring, long offset, int value) {
        ring.set(ValueLayout.JAVA_INT, offset, value);
    }
}
