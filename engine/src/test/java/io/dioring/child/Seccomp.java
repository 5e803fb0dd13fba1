package io.dioring.child;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Installs a seccomp filter on the calling process that denies io_uring, as Docker's
 * default profile (Engine >= 25), containerd 2.0's RuntimeDefault and ENOSYS-style profiles
 * do: {@code io_uring_setup}, {@code io_uring_enter} and {@code io_uring_register} (x86_64
 * syscalls 425, 426, 427) fail with the chosen errno, everything else is allowed. Straight
 * from Java through FFM: {@code prctl(PR_SET_NO_NEW_PRIVS)}, then
 * {@code seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog)} through
 * {@code syscall(2)}; TSYNC puts every thread the JVM already has under the filter too.
 *
 * <p>A filter cannot be removed: use it only in a child JVM ({@link ChildJvm}).
 *
 * <p>The program, classic BPF over {@code struct seccomp_data {int nr; u32 arch; ...}}:
 * <pre>
 *   0: ld  [4]                  ; arch
 *   1: jeq #AUDIT_ARCH_X86_64, 3, 2
 *   2: ret #SECCOMP_RET_ALLOW   ; another ABI: its numbers mean other calls; leave it alone
 *   3: ld  [0]                  ; nr
 *   4: jeq #425, 8, 5           ; io_uring_setup
 *   5: jeq #426, 8, 6           ; io_uring_enter
 *   6: jeq #427, 8, 7           ; io_uring_register
 *   7: ret #SECCOMP_RET_ALLOW
 *   8: ret #SECCOMP_RET_ERRNO | errno
 * </pre>
 */
public final class Seccomp {
    // linux/filter.h, linux/bpf_common.h
    private static final short BPF_LD_W_ABS = 0x00 | 0x00 | 0x20;
    private static final short BPF_JMP_JEQ_K = 0x05 | 0x10 | 0x00;
    private static final short BPF_RET_K = 0x06 | 0x00;
    // linux/seccomp.h, linux/audit.h, asm/unistd_64.h, linux/prctl.h
    private static final int SECCOMP_RET_ALLOW = 0x7fff0000;
    private static final int SECCOMP_RET_ERRNO = 0x00050000;
    private static final int SECCOMP_SET_MODE_FILTER = 1;
    private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final long SYS_SECCOMP = 317;
    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final int OFFSET_OF_NR = 0;
    private static final int OFFSET_OF_ARCH = 4;

    /** The first of the three io_uring syscalls on x86_64 (setup, enter, register follow). */
    public static final long SYS_IO_URING_SETUP = 425;

    public static final int EPERM = 1;
    public static final int ENOSYS = 38;

    /** {@code struct sock_filter {u16 code; u8 jt; u8 jf; u32 k;}}: 8 bytes. */
    private static final StructLayout SOCK_FILTER = MemoryLayout.structLayout(
            ValueLayout.JAVA_SHORT.withName("code"),
            ValueLayout.JAVA_BYTE.withName("jt"),
            ValueLayout.JAVA_BYTE.withName("jf"),
            ValueLayout.JAVA_INT.withName("k"));
    /** {@code struct sock_fprog {unsigned short len; struct sock_filter *filter;}}: the pointer at 8. */
    private static final StructLayout SOCK_FPROG = MemoryLayout.structLayout(
            ValueLayout.JAVA_SHORT.withName("len"),
            MemoryLayout.paddingLayout(6),
            ValueLayout.ADDRESS.withName("filter"));
    private static final VarHandle CODE = SOCK_FILTER.varHandle(MemoryLayout.PathElement.groupElement("code"));
    private static final VarHandle JT = SOCK_FILTER.varHandle(MemoryLayout.PathElement.groupElement("jt"));
    private static final VarHandle JF = SOCK_FILTER.varHandle(MemoryLayout.PathElement.groupElement("jf"));
    private static final VarHandle K = SOCK_FILTER.varHandle(MemoryLayout.PathElement.groupElement("k"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** {@code int prctl(int option, ...)}. */
    private static final MethodHandle PRCTL = LINKER.downcallHandle(
            LINKER.defaultLookup().find("prctl").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    /** {@code long syscall(long number, ...)}, for seccomp(2) with its three arguments. */
    private static final MethodHandle SYSCALL_PTR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

    /** {@code long syscall(long number, ...)}, for io_uring_setup(entries, params). */
    private static final MethodHandle SYSCALL_LONG_PTR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private Seccomp() {}

    /**
     * Denies io_uring to this whole process with {@code errno}.
     *
     * @return null when the filter is in place, else why seccomp could not be used here
     */
    public static String denyIoUring(int errno) {
        return install(errno, false);
    }

    /**
     * Denies {@code io_uring_setup} alone to this whole process with {@code errno}: rings that
     * exist keep working, no new one can be made.
     *
     * @return null when the filter is in place, else why seccomp could not be used here
     */
    public static String denyIoUringSetup(int errno) {
        return install(errno, true);
    }

    private static String install(int errno, boolean setupOnly) {
        if (!System.getProperty("os.arch").equals("amd64")) {
            return "the filter knows x86_64 syscall numbers only; os.arch is " + System.getProperty("os.arch");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int r = (int) PRCTL.invokeExact(state, PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L);
            if (r != 0) {
                return "prctl(PR_SET_NO_NEW_PRIVS) failed: errno " + (int) ERRNO.get(state, 0L);
            }
            MemorySegment program = program(arena, errno, setupOnly);
            MemorySegment fprog = arena.allocate(SOCK_FPROG);
            fprog.set(ValueLayout.JAVA_SHORT, SOCK_FPROG.byteOffset(MemoryLayout.PathElement.groupElement("len")),
                    (short) (program.byteSize() / SOCK_FILTER.byteSize()));
            fprog.set(ValueLayout.ADDRESS, SOCK_FPROG.byteOffset(MemoryLayout.PathElement.groupElement("filter")),
                    program);
            long s = (long) SYSCALL_PTR.invokeExact(state, SYS_SECCOMP, (long) SECCOMP_SET_MODE_FILTER,
                    (long) SECCOMP_FILTER_FLAG_TSYNC, fprog);
            if (s < 0) {
                return "seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) failed: errno " + (int) ERRNO.get(state, 0L);
            }
            if (s > 0) {
                return "seccomp TSYNC could not synchronise thread " + s;
            }
            return null;
        } catch (Throwable t) {
            return "cannot call prctl/syscall through FFM: " + t;
        }
    }

    /**
     * Calls {@code io_uring_setup(2, params)} directly and returns the errno it failed with,
     * or 0 if it succeeded (the ring's fd is then closed): proof the filter is in force,
     * independent of the engine.
     */
    public static int ioUringSetupErrno() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment params = arena.allocate(120, 8); // struct io_uring_params, zeroed
            long fd = (long) SYSCALL_LONG_PTR.invokeExact(state, SYS_IO_URING_SETUP, 2L, params);
            if (fd >= 0) {
                int closed = (int) CLOSE.invokeExact((int) fd);
                return 0;
            }
            return (int) ERRNO.get(state, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("io_uring_setup through syscall(2)", t);
        }
    }

    /**
     * The program above, for {@code errno}, as {@code struct sock_filter[9]}; with
     * {@code setupOnly}, instructions 5 and 6 test for io_uring_setup again, so enter and
     * register are allowed.
     */
    private static MemorySegment program(Arena arena, int errno, boolean setupOnly) {
        int enter = (int) SYS_IO_URING_SETUP + (setupOnly ? 0 : 1);
        int register = (int) SYS_IO_URING_SETUP + (setupOnly ? 0 : 2);
        int[][] insns = {
            {BPF_LD_W_ABS, 0, 0, OFFSET_OF_ARCH},
            {BPF_JMP_JEQ_K, 1, 0, AUDIT_ARCH_X86_64},
            {BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW},
            {BPF_LD_W_ABS, 0, 0, OFFSET_OF_NR},
            {BPF_JMP_JEQ_K, 3, 0, (int) SYS_IO_URING_SETUP},
            {BPF_JMP_JEQ_K, 2, 0, enter},
            {BPF_JMP_JEQ_K, 1, 0, register},
            {BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW},
            {BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | (errno & 0xffff)},
        };
        MemorySegment program = arena.allocate(SOCK_FILTER, insns.length);
        for (int i = 0; i < insns.length; i++) {
            long base = i * SOCK_FILTER.byteSize();
            CODE.set(program, base, (short) insns[i][0]);
            JT.set(program, base, (byte) insns[i][1]);
            JF.set(program, base, (byte) insns[i][2]);
            K.set(program, base, insns[i][3]);
        }
        return program;
    }
}
