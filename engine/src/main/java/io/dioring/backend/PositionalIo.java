package io.dioring.backend;

import io.dioring.ffi.Libc;
import java.lang.foreign.MemorySegment;

/**
 * The calls the pool's workers make, each returning what the kernel returned (bytes, 0) or
 * {@code -errno}. {@link #LIBC} makes them; tests wrap it to inject short results, errors and
 * stalls at the syscall boundary, as a simulated ring does for io_uring.
 */
public interface PositionalIo {
    long pread(int fd, MemorySegment buffer, long offset);

    long pwrite(int fd, MemorySegment buffer, long offset);

    /** preadv(2) over {@code count} iovecs at {@code iovecs}. */
    long preadv(int fd, MemorySegment iovecs, int count, long offset);

    /** pwritev(2) over {@code count} iovecs at {@code iovecs}. */
    long pwritev(int fd, MemorySegment iovecs, int count, long offset);

    /** pwritev2(2) with per-write flags (RWF_DSYNC, RWF_SYNC: durable when it returns). */
    long pwritev2(int fd, MemorySegment iovecs, int count, long offset, int flags);

    int fsync(int fd);

    int fdatasync(int fd);

    /** The real calls, through the FFM bindings with errno captured. */
    PositionalIo LIBC = new PositionalIo() {
        @Override
        public long pread(int fd, MemorySegment buffer, long offset) {
            return Libc.pread(fd, buffer, offset);
        }

        @Override
        public long pwrite(int fd, MemorySegment buffer, long offset) {
            return Libc.pwrite(fd, buffer, offset);
        }

        @Override
        public long preadv(int fd, MemorySegment iovecs, int count, long offset) {
            return Libc.preadv(fd, iovecs, count, offset);
        }

        @Override
        public long pwritev(int fd, MemorySegment iovecs, int count, long offset) {
            return Libc.pwritev(fd, iovecs, count, offset);
        }

        @Override
        public long pwritev2(int fd, MemorySegment iovecs, int count, long offset, int flags) {
            return Libc.pwritev2(fd, iovecs, count, offset, flags);
        }

        @Override
        public int fsync(int fd) {
            return Libc.fsync(fd);
        }

        @Override
        public int fdatasync(int fd) {
            return Libc.fdatasync(fd);
        }
    };
}
