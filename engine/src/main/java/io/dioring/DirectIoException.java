package io.dioring;

import io.dioring.ffi.Errno;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An operating error on a file: the kernel failed a read, write, sync or open, or a
 * write came back short and could not be completed. Carries everything needed to say
 * what failed where.
 */
public class DirectIoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String op;
    private final transient Path path;
    private final long offset;
    private final long length;

    public DirectIoException(int errno, String op, Path path, long offset, long length) {
        this(errno, op, path, offset, length, null);
    }

    public DirectIoException(int errno, String op, Path path, long offset, long length, String detail) {
        super(op + " " + path + " at offset " + offset + " length " + length + ": " + Errno.describe(errno)
                + (detail == null ? "" : " (" + detail + ")"));
        this.errno = Math.abs(errno);
        this.op = op;
        this.path = path;
        this.offset = offset;
        this.length = length;
    }

    /** The positive errno. */
    public int errno() {
        return errno;
    }

    /** The errno's symbolic name ("EIO"). */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** "read", "write", "fsync", "open", ... */
    public String op() {
        return op;
    }

    public Path path() {
        return path;
    }

    /** File offset of the failing request (or slice). */
    public long offset() {
        return offset;
    }

    /** Length in bytes of the failing request (or slice). */
    public long length() {
        return length;
    }
}
