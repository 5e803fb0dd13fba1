package io.dioring.backend;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.dioring.ffi.ErrnoCapture;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Installs, on the calling process, a seccomp filter that makes io_uring_setup,
 * io_uring_enter and io_uring_register (syscalls 425-427) fail with a chosen errno, as
 * Docker's default profile (EPERM) or an ENOSYS-style profile does. Everything else is
 * allowed. Irreversible: for a child JVM only ({@link SeccompLauncher}).
 *
 * <p>prctl(PR_SET_NO_NEW_PRIVS) first (an unprivileged filter needs it), then
 * seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC) so every thread of the JVM
 * gets it, not just the caller. The classic BPF program:
 *
 * <pre>
 *   0: A = seccomp_data.arch
 *   1: if A != AUDIT_ARCH_X86_64 goto 6
 *   2: A = seccomp_data.nr
 *   3: if A < 425 goto 6
 *   4: if A > 427 goto 6
 *   5: return SECCOMP_RET_ERRNO | errno
 *   6: return SECCOMP_RET_ALLOW
 * </pre>
 */
final class SeccompFilter {
    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final long SYS_SECCOMP_X86_64 = 317;
    private static final long SECCOMP_SET_MODE_FILTER = 1;
    private static final long SECCOMP_FILTER_FLAG_TSYNC = 1;
    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int SECCOMP_RET_ERRNO = 0x00050000;
    private static final int SECCOMP_RET_ALLOW = 0x7fff0000;
    private static final int FIRST_IO_URING_SYSCALL = 425;
    private static final int LAST_IO_URING_SYSCALL = 427;

    // BPF opcodes (linux/bpf_common.h).
    private static final short LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
    private static final short JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    private static final short JGE_K = 0x35; // BPF_JMP | BPF_JGE | BPF_K
    private static final short JGT_K = 0x25; // BPF_JMP | BPF_JGT | BPF_K
    private static final short RET_K = 0x06; // BPF_RET | BPF_K
    private static final int SECCOMP_DATA_NR = 0;
    private static final int SECCOMP_DATA_ARCH = 4;

    private static final MethodHandle PRCTL = ErrnoCapture.variadic(symbol("prctl"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
    private static final MethodHandle SYSCALL3 = ErrnoCapture.variadic(symbol("syscall"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), 1);

    private SeccompFilter() {}

    /** Why this machine cannot take the filter (not x86_64), or null. */
    static String unsupportedReason() {
        String arch = System.getProperty("os.arch");
        return "amd64".equals(arch) || "x86_64".equals(arch) ? null
                : "the seccomp test filter is written for x86_64, this is " + arch;
    }

    /**
     * Installs the filter.
     *
     * @return 0, or the errno of the prctl or seccomp call that failed (seccomp unavailable)
     */
    static int install(int errno) throws Throwable {
        MemorySegment slot = ErrnoCapture.allocateSlot();
        int r = (int) PRCTL.invokeExact(slot, PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L);
        if (r != 0) {
            return ErrnoCapture.errno(slot);
        }
        try (Arena arena = Arena.ofConfined()) {
            int[][] program = {
                {LD_W_ABS, 0, 0, SECCOMP_DATA_ARCH},
                {JEQ_K, 0, 4, AUDIT_ARCH_X86_64},
                {LD_W_ABS, 0, 0, SECCOMP_DATA_NR},
                {JGE_K, 0, 2, FIRST_IO_URING_SYSCALL},
                {JGT_K, 1, 0, LAST_IO_URING_SYSCALL},
                {RET_K, 0, 0, SECCOMP_RET_ERRNO | (errno & 0xffff)},
                {RET_K, 0, 0, SECCOMP_RET_ALLOW},
            };
            // struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }: 8 bytes each.
            MemorySegment filter = arena.allocate(8L * program.length, 8);
            for (int i = 0; i < program.length; i++) {
                long at = 8L * i;
                filter.set(JAVA_SHORT, at, (short) program[i][0]);
                filter.set(JAVA_BYTE, at + 2, (byte) program[i][1]);
                filter.set(JAVA_BYTE, at + 3, (byte) program[i][2]);
                filter.set(JAVA_INT, at + 4, program[i][3]);
            }
            // struct sock_fprog { unsigned short len; (6 bytes padding) struct sock_filter *filter; }
            MemorySegment fprog = arena.allocate(16, 8);
            fprog.set(JAVA_SHORT, 0, (short) program.length);
            fprog.set(ADDRESS, 8, filter);
            long s = (long) SYSCALL3.invokeExact(slot, SYS_SECCOMP_X86_64, SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_TSYNC, fprog);
            if (s != 0) {
                return s < 0 ? ErrnoCapture.errno(slot) : (int) s; // > 0: the thread that could not sync
            }
        }
        return 0;
    }

    private static MemorySegment symbol(String name) {
        return Linker.nativeLinker().defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }
}
