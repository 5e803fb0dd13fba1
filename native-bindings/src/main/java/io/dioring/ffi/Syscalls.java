package io.dioring.ffi;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.dioring.ffi.linux.libc_h;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

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

    private static final MethodHandle SYSCALL2 = syscall(2);
    private static final MethodHandle SYSCALL4 = syscall(4);
    private static final MethodHandle SYSCALL6 = syscall(6);

    private Syscalls() {}

    private static MethodHandle syscall(int arguments) {
        var layouts = new java.lang.foreign.MemoryLayout[arguments + 1];
        java.util.Arrays.fill(layouts, JAVA_LONG);
        return ErrnoCapture.variadic(libc_h.syscall.address(), FunctionDescriptor.of(JAVA_LONG, layouts), 1);
    }

    private static int result(long r, MemorySegment slot) {
        return r == -1 ? -ErrnoCapture.errno(slot) : (int) r;
    }

    /** io_uring_setup(2): the ring's fd, or -errno. {@code params} is a {@code struct io_uring_params}. */
    public static int ioUringSetup(int entries, MemorySegment params) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return result((long) SYSCALL2.invokeExact(slot, (long) SYS_IO_URING_SETUP, (long) entries,
                    params.address()), slot);
        } catch (Throwable t) {
            throw new AssertionError("io_uring_setup downcall failed", t);
        }
    }

    /**
     * io_uring_enter(2): the number of SQEs consumed, or -errno. The errno is captured in
     * {@code slot}, which the ring's owner keeps so the hot path never looks up a thread local.
     */
    public static int ioUringEnter(MemorySegment slot, int fd, int toSubmit, int minComplete, int flags,
            long argAddress, long argSize) {
        try {
            return result((long) SYSCALL6.invokeExact(slot, (long) SYS_IO_URING_ENTER, (long) fd,
                    (long) toSubmit, (long) minComplete, (long) flags, argAddress, argSize), slot);
        } catch (Throwable t) {
            throw new AssertionError("io_uring_enter downcall failed", t);
        }
    }

    /** io_uring_register(2): the call's result, or -errno. */
    public static int ioUringRegister(int fd, int opcode, long argAddress, int count) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return result((long) SYSCALL4.invokeExact(slot, (long) SYS_IO_URING_REGISTER, (long) fd,
                    (long) opcode, argAddress, (long) count), slot);
        } catch (Throwable t) {
            throw new AssertionError("io_uring_register downcall failed", t);
        }
    }
}
