package io.dioring.ring;

import io.dioring.ffi.linux.io_uring_cqe;
import io.dioring.ffi.linux.io_uring_sqe;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The SQE's fields at their ABI offsets (from the generated layouts), and the write of one. */
final class Sqe {
    static final long SIZE = io_uring_sqe.layout().byteSize();
    static final long CQE_SIZE = io_uring_cqe.layout().byteSize();

    static {
        // The offsets below come from the generated layouts; the sizes are ABI.
        if (SIZE != 64 || CQE_SIZE != 16) {
            throw new ExceptionInInitializerError("unexpected io_uring ABI: sqe " + SIZE + " bytes, cqe "
                    + CQE_SIZE + " bytes");
        }
    }

    private static final long OPCODE = io_uring_sqe.opcode$offset();
    private static final long FLAGS = io_uring_sqe.flags$offset();
    private static final long IOPRIO = io_uring_sqe.ioprio$offset();
    private static final long FD = io_uring_sqe.fd$offset();
    private static final long OFF = io_uring_sqe.off$offset();
    private static final long ADDR = io_uring_sqe.addr$offset();
    private static final long LEN = io_uring_sqe.len$offset();
    private static final long OP_FLAGS = io_uring_sqe.rw_flags$offset();
    private static final long USER_DATA = io_uring_sqe.user_data$offset();
    private static final long BUF_INDEX = io_uring_sqe.buf_index$offset();
    private static final long PERSONALITY = io_uring_sqe.personality$offset();
    private static final long FILE_INDEX = io_uring_sqe.file_index$offset();
    private static final long ADDR3 = io_uring_sqe.addr3$offset();

    private Sqe() {}

    /** Writes every field of the SQE at byte {@code at} of {@code s} (see {@link IoRing#prepare}). */
    static void write(MemorySegment s, long at, int opcode, int sqeFlags, int fd, long fileOffset, long address,
            int length, int opFlags, int bufIndex, long userData) {
        s.set(ValueLayout.JAVA_BYTE, at + OPCODE, (byte) opcode);
        s.set(ValueLayout.JAVA_BYTE, at + FLAGS, (byte) sqeFlags);
        s.set(ValueLayout.JAVA_SHORT, at + IOPRIO, (short) 0);
        s.set(ValueLayout.JAVA_INT, at + FD, fd);
        s.set(ValueLayout.JAVA_LONG, at + OFF, fileOffset);
        s.set(ValueLayout.JAVA_LONG, at + ADDR, address);
        s.set(ValueLayout.JAVA_INT, at + LEN, length);
        s.set(ValueLayout.JAVA_INT, at + OP_FLAGS, opFlags);
        s.set(ValueLayout.JAVA_LONG, at + USER_DATA, userData);
        s.set(ValueLayout.JAVA_SHORT, at + BUF_INDEX, (short) bufIndex);
        s.set(ValueLayout.JAVA_SHORT, at + PERSONALITY, (short) 0);
        s.set(ValueLayout.JAVA_INT, at + FILE_INDEX, 0);
        s.set(ValueLayout.JAVA_LONG, at + ADDR3, 0L);
        s.set(ValueLayout.JAVA_LONG, at + ADDR3 + 8, 0L);
    }
}
