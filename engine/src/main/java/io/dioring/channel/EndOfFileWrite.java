package io.dioring.channel;

import io.dioring.DirectFile;
import io.dioring.DirectIoException;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * A bounced write whose last alignment unit straddles the end of an O_DIRECT file. O_DIRECT
 * writes whole units only, and writing that unit whole would make the file longer than its
 * logical end; truncating back afterwards would cut off whatever another handle of the file
 * (another channel, a {@link DirectFile}, another process) wrote past that end meanwhile,
 * which the channel's lock does not order. So the whole units before it go out direct, and
 * the bytes of the last unit up to the logical end go through a descriptor of the same file
 * without O_DIRECT (a buffered pwrite, which writes exactly those bytes and never shrinks
 * the file). The kernel keeps the two coherent: a later direct read of the range writes the
 * cached pages back first. The descriptor is opened on first use, with the O_DIRECT
 * descriptor's O_SYNC/O_DSYNC, and closed with the channel.
 */
final class EndOfFileWrite implements AutoCloseable {
    private final DirectFile file;
    private final int directFd;
    /** The descriptor without O_DIRECT, or -1 until first needed; guarded by the channel's exclusive lock. */
    private int bufferedFd = -1;
    private boolean closed;

    EndOfFileWrite(DirectFile file, int directFd) {
        this.file = file;
        this.directFd = directFd;
    }

    /**
     * Writes {@code [spanStart, logicalEnd)} of the file from {@code bounce} (which starts at
     * {@code spanStart}, a unit boundary): the units before the one {@code logicalEnd} falls
     * inside directly, the rest buffered.
     */
    void write(MemorySegment bounce, long spanStart, long logicalEnd, long unit) throws IOException {
        long lastUnit = logicalEnd - Math.floorMod(logicalEnd, unit);
        if (lastUnit > spanStart) {
            file.writeFully(spanStart, bounce.asSlice(0, lastUnit - spanStart));
        }
        writeBuffered(bounce.asSlice(lastUnit - spanStart, logicalEnd - lastUnit), lastUnit);
    }

    /** Under the monitor, as {@link #close}: the descriptor is never closed (and its number reused) under a pwrite. */
    private synchronized void writeBuffered(MemorySegment tail, long lastUnit) throws IOException {
        int fd = bufferedFd();
        for (long done = 0; done < tail.byteSize(); ) {
            long n = Libc.pwrite(fd, tail.asSlice(done), lastUnit + done);
            if (n == -Errno.EINTR) {
                continue;
            }
            if (n <= 0) {
                throw new DirectIoException(n == 0 ? Errno.EIO : (int) -n, "pwrite (the last, partial unit)",
                        file.path(), lastUnit + done, tail.byteSize() - done);
            }
            done += n;
        }
    }

    private int bufferedFd() throws IOException {
        if (closed) {
            throw new IllegalStateException("channel closed"); // the channel reports the close
        }
        if (bufferedFd < 0) {
            int flags = Libc.fcntl(directFd, libc_h.F_GETFL(), 0);
            if (flags < 0) {
                throw new DirectIoException(-flags, "fcntl(F_GETFL)", file.path(), 0, 0);
            }
            int sync = flags & (libc_h.O_SYNC() | libc_h.O_DSYNC());
            // Through /proc/self/fd: the same file even if it was renamed or unlinked since.
            int fd = Libc.open("/proc/self/fd/" + directFd, libc_h.O_WRONLY() | libc_h.O_CLOEXEC() | sync, 0);
            if (fd < 0) {
                throw new DirectIoException(-fd, "open without O_DIRECT", file.path(), 0, 0);
            }
            bufferedFd = fd;
        }
        return bufferedFd;
    }

    /** Closes the buffered descriptor, if it was opened; after the channel's last write. */
    @Override
    public synchronized void close() {
        closed = true;
        if (bufferedFd >= 0) {
            Libc.close(bufferedFd);
            bufferedFd = -1;
        }
    }
}
