package io.dioring.tools.dd;

import io.dioring.ffi.Libc;

/**
 * The error numbers dd's backends and copy loop test for, and the system's text for one
 * (the end of dd's messages). Their own class so that what names them (the streams, the copy
 * loop, the ring backend) does not name the POSIX backend.
 */
final class DdErrno {
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int ENOTDIR = 20;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int ESPIPE = 29;
    static final int EOVERFLOW = 75;

    private DdErrno() {}

    static String strerror(int errno) {
        return Libc.strerror(errno);
    }
}
