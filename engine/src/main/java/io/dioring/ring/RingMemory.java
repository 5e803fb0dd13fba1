package io.dioring.ring;

import io.dioring.RingSetupException;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.io_cqring_offsets;
import io.dioring.ffi.linux.io_sqring_offsets;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.io_uring_params;
import io.dioring.ffi.linux.libc_h;
import java.lang.foreign.MemorySegment;

/**
 * A ring's three shared mappings: the SQ ring, the CQ ring (the same mapping with
 * IORING_FEAT_SINGLE_MMAP) and the SQE array, each sized from what io_uring_setup wrote
 * into the params.
 */
record RingMemory(MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes) {

    /** Maps the rings of {@code fd}; on failure unmaps what it mapped and throws. */
    static RingMemory map(int fd, MemorySegment params) throws RingSetupException {
        MemorySegment sqOff = io_uring_params.sq_off(params);
        MemorySegment cqOff = io_uring_params.cq_off(params);
        long sqBytes = Integer.toUnsignedLong(io_sqring_offsets.array(sqOff))
                + 4L * io_uring_params.sq_entries(params);
        long cqBytes = Integer.toUnsignedLong(io_cqring_offsets.cqes(cqOff))
                + Sqe.CQE_SIZE * io_uring_params.cq_entries(params);
        boolean single = (io_uring_params.features(params) & io_uring_h.IORING_FEAT_SINGLE_MMAP()) != 0;
        int prot = libc_h.PROT_READ() | libc_h.PROT_WRITE();
        int flags = libc_h.MAP_SHARED() | libc_h.MAP_POPULATE();
        if (single) {
            sqBytes = cqBytes = Math.max(sqBytes, cqBytes);
        }
        long sq = Libc.mmap(sqBytes, prot, flags, fd, io_uring_h.IORING_OFF_SQ_RING());
        if (sq < 0) {
            throw new RingSetupException("mmap of the SQ ring (" + sqBytes + " bytes)", (int) sq);
        }
        long cq = sq;
        long sqeBytes = Sqe.SIZE * io_uring_params.sq_entries(params);
        long sqeArray;
        try {
            if (!single) {
                cq = Libc.mmap(cqBytes, prot, flags, fd, io_uring_h.IORING_OFF_CQ_RING());
                if (cq < 0) {
                    throw new RingSetupException("mmap of the CQ ring (" + cqBytes + " bytes)", (int) cq);
                }
            }
            sqeArray = Libc.mmap(sqeBytes, prot, flags, fd, io_uring_h.IORING_OFF_SQES());
            if (sqeArray < 0) {
                if (!single) {
                    Libc.munmap(cq, cqBytes);
                }
                throw new RingSetupException("mmap of the SQE array (" + sqeBytes + " bytes)", (int) sqeArray);
            }
        } catch (RingSetupException e) {
            Libc.munmap(sq, sqBytes);
            throw e;
        }
        return new RingMemory(MemorySegment.ofAddress(sq).reinterpret(sqBytes),
                MemorySegment.ofAddress(cq).reinterpret(cqBytes),
                MemorySegment.ofAddress(sqeArray).reinterpret(sqeBytes));
    }

    /** Unmaps all three (once: the caller guards it). */
    void unmap() {
        Libc.munmap(sqes.address(), sqes.byteSize());
        if (cqRing.address() != sqRing.address()) {
            Libc.munmap(cqRing.address(), cqRing.byteSize());
        }
        Libc.munmap(sqRing.address(), sqRing.byteSize());
    }
}
