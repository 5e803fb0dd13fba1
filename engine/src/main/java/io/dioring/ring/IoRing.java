package io.dioring.ring;

/**
 * What the engine needs from a ring: SQEs in, CQEs out. {@link Ring} is the kernel's;
 * tests plug in a simulated one that completes out of order, short, or with errors.
 *
 * <p>Single owner at a time: every method is called by the ring's owner thread, or, for a
 * ring several threads drive, by the thread holding its lock.
 */
public interface IoRing extends AutoCloseable {

    /** Submission queue size. */
    int sqEntries();

    /** Completion queue size (larger than the SQ so completions cannot overflow it). */
    int cqEntries();

    /** How many SQEs can be prepared before {@link #submit} must run. */
    int sqSpace();

    /**
     * Writes one SQE. The caller has checked {@link #sqSpace()} is positive.
     *
     * @param opcode IORING_OP_*
     * @param sqeFlags IOSQE_* flags
     * @param fd the file descriptor, or the registered file index with IOSQE_FIXED_FILE
     * @param fileOffset the file offset (off)
     * @param address the buffer address (addr), or an iovec array for READV/WRITEV
     * @param length bytes (len), or the number of iovecs
     * @param opFlags the op-specific flags word (rw_flags, fsync_flags, cancel_flags)
     * @param bufIndex the registered buffer index for READ_FIXED/WRITE_FIXED, else 0
     * @param userData returned untouched in the CQE
     */
    void prepare(int opcode, int sqeFlags, int fd, long fileOffset, long address, int length,
            int opFlags, int bufIndex, long userData);

    /**
     * Hands every prepared SQE to the kernel. With {@code waitForOne}, also blocks until at
     * least one completion is ready to reap. EINTR is retried; EAGAIN and EBUSY (the kernel
     * is short of resources or the CQ is full) return early so the caller reaps first.
     *
     * @return SQEs the kernel took
     */
    int submit(boolean waitForOne);

    /**
     * Copies up to {@code max} CQEs out and releases their slots to the kernel before
     * returning, so completion logic never runs while the kernel waits for CQ space.
     *
     * @return CQEs copied into {@code userData[0..n)} and {@code result[0..n)}
     */
    int reap(long[] userData, int[] result, int max);

    /**
     * Completions the kernel could not post because the CQ was full (held back with
     * IORING_FEAT_NODROP). The engine bounds what is in flight by the CQ size, so anything
     * but 0 is a bug; the loop counts it and reports it.
     */
    default int cqOverflow() {
        return 0;
    }

    /** CQEs ready to reap now (read without reaping them). */
    default int cqReady() {
        return 0;
    }

    /**
     * For rings driven from several threads: turns the out-of-line completion signal off
     * (while the caller is in {@link #submit} and reaps its own completions) or back on.
     * A ring without such a signal ignores it.
     *
     * @return {@link #cqReady()} after the change: with the signal back on, CQEs already
     *         posted while it was off must be reaped by the caller
     */
    default int notifyCompletions(boolean on) {
        return cqReady();
    }

    /** What the ring has registered with the kernel, or null for a ring that registers nothing (tests). */
    default RingRegistrations registrations() {
        return null;
    }

    /** Releases the ring's memory and descriptor, once; later calls are no-ops. */
    @Override
    void close();
}
