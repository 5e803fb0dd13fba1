package io.dioring;

import io.dioring.file.FileState;
import io.dioring.request.IoRequest;
import java.lang.foreign.MemorySegment;

/**
 * The checks a request of a {@link DirectFile} passes before anything of it is submitted,
 * each failure naming the value and the rule it broke. Messages are built only when thrown:
 * these run on every submission, which allocates nothing.
 */
final class RequestChecks {
    private final FileState state;

    RequestChecks(FileState state) {
        this.state = state;
    }

    /** The buffer rules (alive, native, writable for a read) and, on O_DIRECT, the alignment rules. */
    void segment(int op, long offset, MemorySegment segment, int index) {
        if (segment == null) {
            throw new NullPointerException(what(op) + ": buffer " + index + " is null");
        }
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException(what(op) + ": buffer " + index + " is no longer alive (its arena was "
                    + "closed); the kernel must never be given freed memory");
        }
        if (!segment.isNative()) {
            throw new IllegalArgumentException(what(op) + ": buffer " + index + " is on the Java heap; direct I/O "
                    + "needs native memory (IoBuffers.allocate or an Arena)");
        }
        if (op == IoRequest.READ && segment.isReadOnly()) {
            throw new IllegalArgumentException(what(op) + ": buffer " + index + " is read-only");
        }
        if (offset < 0) {
            throw new IllegalArgumentException(what(op) + ": offset " + offset + " is negative");
        }
        if (!state.direct()) {
            return;
        }
        int off = state.alignment().offset();
        int mem = state.alignment().memory();
        if ((offset & (off - 1)) != 0) {
            throw new IllegalArgumentException(what(op) + ": offset " + offset + " is not a multiple of " + off
                    + alignmentSource());
        }
        if ((segment.byteSize() & (off - 1)) != 0) {
            throw new IllegalArgumentException(what(op) + ": length " + segment.byteSize() + " of buffer " + index
                    + " is not a multiple of " + off + alignmentSource());
        }
        if ((segment.address() & (mem - 1)) != 0) {
            throw new IllegalArgumentException(what(op) + ": buffer " + index + " address 0x"
                    + Long.toHexString(segment.address()) + " is not aligned to " + mem + " bytes"
                    + alignmentSource());
        }
    }

    private String what(int op) {
        return opName(op) + " " + state.path();
    }

    private String alignmentSource() {
        return " (O_DIRECT alignment of " + state.path() + ", from " + state.alignment().source() + ")";
    }

    /** The file's mode allows {@code op}, and the range does not overflow. */
    void range(int op, long offset, long length) {
        if (op == IoRequest.WRITE && !state.writable()) {
            throw new IllegalStateException("write " + state.path() + ": file was opened read-only");
        }
        if (op == IoRequest.READ && !state.readable()) {
            throw new IllegalStateException("read " + state.path() + ": file was opened write-only");
        }
        if (offset + length < 0) {
            throw new IllegalArgumentException(opName(op) + " " + state.path() + ": offset " + offset
                    + " + length " + length + " overflows");
        }
    }

    static String opName(int op) {
        return op == IoRequest.READ ? "read" : "write";
    }
}
