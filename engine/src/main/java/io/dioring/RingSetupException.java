package io.dioring;

import io.dioring.ffi.Errno;
import java.io.IOException;

/** io_uring_setup, an mmap of the rings, or a registration failed; carries the errno. */
public final class RingSetupException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public RingSetupException(String what, int errno) {
        super(what + ": " + Errno.describe(errno));
        this.errno = Math.abs(errno);
    }

    /** The positive errno of the failing call. */
    public int errno() {
        return errno;
    }
}
