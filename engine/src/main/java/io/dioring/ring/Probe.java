package io.dioring.ring;

import io.dioring.RingSetupException;
import io.dioring.ffi.Syscalls;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.io_uring_probe;
import io.dioring.ffi.linux.io_uring_probe_op;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** The opcodes a kernel supports, from IORING_REGISTER_PROBE. */
public final class Probe {
    private static final int MAX_OPS = 256;
    /** Opcode names by number, as in enum io_uring_op (linux/io_uring.h). */
    private static final String[] NAMES = {"NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED",
        "POLL_ADD", "POLL_REMOVE", "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG", "TIMEOUT", "TIMEOUT_REMOVE",
        "ACCEPT", "ASYNC_CANCEL", "LINK_TIMEOUT", "CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE",
        "STATX", "READ", "WRITE", "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL", "SPLICE",
        "PROVIDE_BUFFERS", "REMOVE_BUFFERS", "TEE", "SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT",
        "SYMLINKAT", "LINKAT", "MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET",
        "URING_CMD", "SEND_ZC", "SENDMSG_ZC", "READ_MULTISHOT", "WAITID", "FUTEX_WAIT", "FUTEX_WAKE",
        "FUTEX_WAITV", "FIXED_FD_INSTALL", "FTRUNCATE", "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT",
        "READV_FIXED", "WRITEV_FIXED", "PIPE"};

    private final boolean[] supported;
    private final int lastOp;

    private Probe(boolean[] supported, int lastOp) {
        this.supported = supported;
        this.lastOp = lastOp;
    }

    static Probe of(int ringFd) throws RingSetupException {
        long opBytes = io_uring_probe_op.layout().byteSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment probe = arena.allocate(io_uring_probe.layout().byteSize() + MAX_OPS * opBytes, 8);
            int r = Syscalls.ioUringRegister(ringFd, io_uring_h.IORING_REGISTER_PROBE(), probe.address(), MAX_OPS);
            if (r < 0) {
                throw new RingSetupException("IORING_REGISTER_PROBE", r);
            }
            int opsLen = Byte.toUnsignedInt(io_uring_probe.ops_len(probe));
            boolean[] supported = new boolean[opsLen];
            long ops = io_uring_probe.ops$offset();
            for (int i = 0; i < opsLen; i++) {
                MemorySegment op = probe.asSlice(ops + i * opBytes, opBytes);
                supported[i] = (io_uring_probe_op.flags(op) & io_uring_h.IO_URING_OP_SUPPORTED()) != 0;
            }
            return new Probe(supported, Byte.toUnsignedInt(io_uring_probe.last_op(probe)));
        }
    }

    /** Whether the kernel supports {@code opcode}. */
    public boolean supports(int opcode) {
        return opcode >= 0 && opcode < supported.length && supported[opcode];
    }

    /** The highest opcode the kernel knows. */
    public int lastOp() {
        return lastOp;
    }

    /** The name of {@code opcode} ("READ_FIXED"), or "OP_n" past the names we know. */
    public static String name(int opcode) {
        return opcode >= 0 && opcode < NAMES.length ? NAMES[opcode] : "OP_" + opcode;
    }

    /** Names of every supported opcode, in opcode order. */
    public List<String> supportedNames() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < supported.length; i++) {
            if (supported[i]) {
                names.add(name(i));
            }
        }
        return names;
    }
}
