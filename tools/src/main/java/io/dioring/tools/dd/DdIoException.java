package io.dioring.tools.dd;

import io.dioring.DirectIoException;
import io.dioring.ffi.Errno;
import java.io.IOException;

/**
 * A failed I/O operation of a dd backend: the errno (whose text ends dd's message, as in
 * "error reading 'x': Input/output error") and, for writes, how many bytes of the request
 * were written before the failure (dd counts them).
 */
public final class DdIoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final long transferred;

    public DdIoException(int errno, String strerror) {
        this(errno, strerror, 0);
    }

    public DdIoException(int errno, String strerror, long transferred) {
        super(strerror);
        this.errno = errno;
        this.transferred = transferred;
    }

    /** A failure of the engine as dd reports it: the kernel's errno, or EIO. */
    static DdIoException ofEngine(Throwable t, long transferred) {
        int errno = t instanceof DirectIoException d ? d.errno() : Errno.EIO;
        return new DdIoException(errno, Errno.message(errno), transferred);
    }

    /** The error number (EIO, EINVAL, ...). */
    public int errno() {
        return errno;
    }

    /** The system's text for {@link #errno()} ("Input/output error"). */
    public String strerror() {
        return getMessage();
    }

    /** Bytes of the failed request that were transferred before the error. */
    public long transferred() {
        return transferred;
    }
}
