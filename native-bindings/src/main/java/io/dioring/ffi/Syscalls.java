package io.dioring.ffi;

import io.dioring.ffi.linux.libc_h;
import java.lang.foreign.MemorySegment;

/**
 * The three io_uring system calls, made through libc's variadic {@code syscall(2)}.
 *
 * <p>Every variadic argument is passed as a C {@code long}: {@code syscall} reads each
 * one with {@code va_arg(ap, long)}, so a narrower argument would leave the upper half
 * of the register undefined. Results follow the kernel's convention: the call's value,
 * or {@code -errno}.
 */
public final class Syscalls {
    private static final int SYS_IO_URING_SETUP = libc_h.SYS_io_uring_setup();
    private static final int SYS_IO_URING_ENTER = libc_h.SYS_io_uring_enter();
    private static final int SYS_IO_URING_REGISTER = libc_h.SYS_io_uring_register();

    private static final MemorySegment SYSCALL = ErrnoCapture.symbol("syscall");

    private Syscalls() {}

    private static int result(long r, MemorySegment slot) {
        return r == -1 ? -ErrnoCapture.errno(slot) : (int) r;
    }

    /** io_uring_setup(2): the ring's fd, or -errno. {@code params} is a {@code struct io_uring_params}. */
    public static int ioUringSetup(int entries, MemorySegment params) {
        MemorySegment slot = ErrnoCapture.slot();
        return result(ErrnoCapture.call(SYSCALL, slot, SYS_IO_URING_SETUP, entries, ErrnoCapture.address(params),
                0, 0, 0, 0), slot);
    }

    /**
     * io_uring_enter(2): the number of SQEs consumed, or -errno. The errno is captured in
     * {@code slot}, which the ring's owner keeps so the hot path never looks up a thread local.
     */
    public static int ioUringEnter(MemorySegment slot, int fd, int toSubmit, int minComplete, int flags,
            long argAddress, long argSize) {
        return result(ErrnoCapture.call(SYSCALL, slot, SYS_IO_URING_ENTER, fd, toSubmit, minComplete, flags,
                argAddress, argSize), slot);
    }

    /** io_uring_register(2): the call's result, or -errno. */
    public static int ioUringRegister(int fd, int opcode, long argAddress, int count) {
        MemorySegment slot = ErrnoCapture.slot();
        return result(ErrnoCapture.call(SYSCALL, slot, SYS_IO_URING_REGISTER, fd, opcode, argAddress, count, 0, 0),
                slot);
    }
}
