package io.dioring.ring;

import io.dioring.ffi.Errno;

/**
 * The ring cannot be used any more: {@code io_uring_enter} failed with an errno other than
 * the transient EINTR, EAGAIN and EBUSY. Whoever drives the ring fails every request on it
 * with this errno and refuses new work.
 */
public final class RingFailedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public RingFailedException(String what, int errno) {
        super(what + ": " + Errno.describe(-Math.abs(errno)));
        this.errno = Math.abs(errno);
    }

    /** The positive errno. */
    public int errno() {
        return errno;
    }
}
