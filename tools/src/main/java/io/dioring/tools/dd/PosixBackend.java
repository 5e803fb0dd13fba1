package io.dioring.tools.dd;

import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.ffi.linux.stat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The synchronous backend: GNU dd's own system calls on file descriptors, one block at a
 * time (every {@code submit} is performed by the matching {@code await}). The standard
 * streams are file descriptors 0 and 1, or, for tests and embedding, Java streams (which
 * behave like pipes: not seekable, short reads counted as partial records).
 */
public final class PosixBackend implements DdBackend {
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final int O_NOCTTY = 0400;
    private static final int O_NONBLOCK = 04000;
    private static final int O_DIRECTORY = AARCH64 ? 040000 : 0200000;
    private static final int O_NOFOLLOW = AARCH64 ? 0100000 : 0400000;
    private static final int SEEK_SET = 0;
    private static final int SEEK_CUR = 1;
    private static final int SEEK_END = 2;

    private final InputStream stdinStream;
    private final OutputStream stdoutStream;

    /** Standard input and output are file descriptors 0 and 1. */
    public PosixBackend() {
        this(null, null);
    }

    /** Standard input and output are these streams (null: the file descriptor). */
    public PosixBackend(InputStream stdin, OutputStream stdout) {
        this.stdinStream = stdin;
        this.stdoutStream = stdout;
    }

    static DdIoException error(int negErrno) {
        return new DdIoException(-negErrno, DdErrno.strerror(-negErrno));
    }

    static int openFlags(int ddFlags) {
        int f = 0;
        if ((ddFlags & DdOptions.F_APPEND) != 0) f |= libc_h.O_APPEND();
        if ((ddFlags & DdOptions.F_DIRECT) != 0) f |= libc_h.O_DIRECT();
        if ((ddFlags & DdOptions.F_DIRECTORY) != 0) f |= O_DIRECTORY;
        if ((ddFlags & DdOptions.F_DSYNC) != 0) f |= libc_h.O_DSYNC();
        if ((ddFlags & DdOptions.F_NOATIME) != 0) f |= libc_h.O_NOATIME();
        if ((ddFlags & DdOptions.F_NOCTTY) != 0) f |= O_NOCTTY;
        if ((ddFlags & DdOptions.F_NOFOLLOW) != 0) f |= O_NOFOLLOW;
        if ((ddFlags & DdOptions.F_NONBLOCK) != 0) f |= O_NONBLOCK;
        if ((ddFlags & DdOptions.F_SYNC) != 0) f |= libc_h.O_SYNC();
        return f;
    }

    static long lseek(int fd, long offset, int whence) {
        return Libc.lseek(fd, offset, whence);
    }

    @Override
    public DdInput openInput(String path, int flags) throws DdIoException {
        if (path == null) {
            if (stdinStream != null) {
                return new DdStreams.Input(stdinStream);
            }
            setFdFlags(0, flags);
            return new FdFile(0, false);
        }
        int base = openFlags(flags);
        // O_RSYNC is O_SYNC on Linux
        int oflags = (base & (libc_h.O_DSYNC() | libc_h.O_SYNC())) != 0 ? base | libc_h.O_SYNC() : base;
        int fd = retry(() -> Libc.open(path, libc_h.O_RDONLY() | oflags, 0));
        if (fd < 0) {
            throw error(fd);
        }
        return new FdFile(fd, true);
    }

    @Override
    public DdOutput openOutput(String path, int flags, boolean nocreat, boolean excl, boolean truncate,
            boolean tryReadWrite) throws DdIoException {
        if (path == null) {
            if (stdoutStream != null) {
                return new DdStreams.Output(stdoutStream);
            }
            setFdFlags(1, flags);
            return new FdFile(1, false);
        }
        int opts = openFlags(flags) | (nocreat ? 0 : libc_h.O_CREAT()) | (excl ? libc_h.O_EXCL() : 0)
                | (truncate ? libc_h.O_TRUNC() : 0);
        int fd = -1;
        if (tryReadWrite) {
            fd = retry(() -> Libc.open(path, libc_h.O_RDWR() | opts, 0666));
        }
        if (fd < 0) {
            fd = retry(() -> Libc.open(path, libc_h.O_WRONLY() | opts, 0666));
        }
        if (fd < 0) {
            throw error(fd);
        }
        return new FdFile(fd, true);
    }

    private interface IntCall {
        int call();
    }

    private static int retry(IntCall c) {
        int r;
        do {
            r = c.call();
        } while (r == -DdErrno.EINTR);
        return r;
    }

    /** GNU dd's set_fd_flags for the standard streams. */
    private static void setFdFlags(int fd, int ddFlags) throws DdIoException {
        int add = openFlags(ddFlags) & ~(O_NOCTTY | O_NOFOLLOW);
        if (add == 0) {
            return;
        }
        int old = Libc.fcntl(fd, libc_h.F_GETFL(), 0);
        if (old < 0) {
            throw error(old);
        }
        int wanted = old | add;
        if (old == wanted) {
            return;
        }
        if ((wanted & O_DIRECTORY) != 0) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment st = arena.allocate(stat.layout());
                int r = Libc.fstat(fd, st);
                if (r < 0) {
                    throw error(r);
                }
                if ((stat.st_mode(st) & libc_h.S_IFMT()) != libc_h.S_IFDIR()) {
                    throw new DdIoException(DdErrno.ENOTDIR, DdErrno.strerror(DdErrno.ENOTDIR));
                }
            }
            wanted &= ~O_DIRECTORY;
        }
        if (old != wanted) {
            int r = Libc.fcntl(fd, libc_h.F_SETFL(), wanted);
            if (r < 0) {
                throw error(r);
            }
        }
    }

    /** A file descriptor: dd's input or output, read and written where the fd's offset is. */
    static final class FdFile implements DdInput, DdOutput {
        private final int fd;
        private final boolean owned;
        private final boolean seekable;
        private final long start;
        private final int seekErrno;
        /** Where the fd's offset is (meaningful when seekable). */
        private long position;
        private MemorySegment pending;
        private long pendingOffset;
        private boolean closed;

        FdFile(int fd, boolean owned) {
            this.fd = fd;
            this.owned = owned;
            long off = lseek(fd, 0, SEEK_CUR);
            this.seekable = off >= 0;
            this.start = Math.max(0, off);
            this.seekErrno = off >= 0 ? 0 : (int) -off;
            this.position = start;
        }

        /** The descriptor, for a backend that does positional I/O on it through a ring. */
        int fd() { return fd; }

        @Override public boolean seekable() { return seekable; }
        @Override public long startOffset() { return start; }
        @Override public int seekErrno() { return seekErrno; }
        @Override public int maxInFlight() { return 1; }

        /** One field of fstat(2) on the descriptor. */
        private long fstat(java.util.function.ToLongFunction<MemorySegment> field) throws DdIoException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment st = arena.allocate(stat.layout());
                int r = Libc.fstat(fd, st);
                if (r < 0) {
                    throw error(r);
                }
                return field.applyAsLong(st);
            }
        }

        private int mode() throws DdIoException {
            return (int) fstat(stat::st_mode);
        }

        @Override
        public long size() throws DdIoException {
            return fstat(stat::st_size);
        }

        @Override
        public long usableSize() throws DdIoException {
            return (mode() & libc_h.S_IFMT()) == libc_h.S_IFREG() ? size() : -1;
        }

        @Override
        public boolean truncatable() throws DdIoException {
            int type = mode() & libc_h.S_IFMT();
            return type == libc_h.S_IFREG() || type == libc_h.S_IFDIR();
        }

        @Override
        public void seek(long offset) throws DdIoException {
            long r = lseek(fd, offset, SEEK_SET);
            if (r < 0) {
                throw error((int) r);
            }
            position = r;
        }

        @Override
        public long seekEnd() throws DdIoException {
            long r = lseek(fd, 0, SEEK_END);
            if (r < 0) {
                throw error((int) r);
            }
            position = r;
            return r;
        }

        /** Moves the fd's offset to where the loop wants the next transfer (no-op when sequential). */
        private void positionAt(long offset) throws DdIoException {
            if (seekable && offset != position) {
                seek(offset);
            }
        }

        @Override
        public void submitRead(long offset, MemorySegment dst) {
            pending = dst;
            pendingOffset = offset;
        }

        @Override
        public long awaitRead() throws DdIoException {
            MemorySegment dst = pending;
            pending = null;
            positionAt(pendingOffset);
            long n;
            do {
                n = Libc.read(fd, dst);
            } while (n == -DdErrno.EINTR);
            if (n < 0) {
                throw error((int) n);
            }
            position += n;
            return n;
        }

        @Override
        public void submitWrite(long offset, MemorySegment src) {
            pending = src;
            pendingOffset = offset;
        }

        @Override
        public long awaitWrite() throws DdIoException {
            MemorySegment src = pending;
            pending = null;
            long size = src.byteSize();
            long total = 0;
            try {
                positionAt(pendingOffset);
            } catch (DdIoException e) {
                throw new DdIoException(e.errno(), e.strerror(), 0);
            }
            while (total < size) {
                long n = Libc.write(fd, src.asSlice(total));
                if (n == -DdErrno.EINTR) {
                    continue;
                }
                if (n < 0) {
                    position += total;
                    throw new DdIoException((int) -n, DdErrno.strerror((int) -n), total);
                }
                if (n == 0) {
                    position += total;
                    throw new DdIoException(DdErrno.ENOSPC, DdErrno.strerror(DdErrno.ENOSPC), total);
                }
                total += n;
            }
            position += total;
            return total;
        }

        /**
         * An inherited descriptor read or written at explicit offsets (through a ring) has
         * not moved: put its offset where dd's calls would have. dd's own files close.
         */
        @Override
        public void endAt(long offset) {
            if (!owned && seekable && !closed && offset >= 0) {
                long r = lseek(fd, offset, SEEK_SET);
                if (r >= 0) {
                    position = r;
                }
            }
        }

        @Override
        public void truncate(long size) throws DdIoException {
            int r = retry(() -> Libc.ftruncate(fd, size));
            if (r < 0) {
                throw error(r);
            }
        }

        @Override
        public void dropDirect() throws DdIoException {
            int old = Libc.fcntl(fd, libc_h.F_GETFL(), 0);
            int r = old < 0 ? old : Libc.fcntl(fd, libc_h.F_SETFL(), old & ~libc_h.O_DIRECT());
            if (r < 0) {
                throw error(r);
            }
        }

        @Override
        public void fsync() throws DdIoException {
            int r = retry(() -> Libc.fsync(fd));
            if (r < 0) {
                throw error(r);
            }
        }

        @Override
        public void fdatasync() throws DdIoException {
            int r = retry(() -> Libc.fdatasync(fd));
            if (r < 0) {
                throw error(r);
            }
        }

        @Override
        public void dropCache(long offset, long length) {
            Libc.posixFadvise(fd, offset, length, libc_h.POSIX_FADV_DONTNEED());
        }

        @Override
        public void close() throws DdIoException {
            if (closed) {
                return;
            }
            closed = true;
            if (!owned) {
                return; // the standard streams stay open for the JVM; dd closes them at exit
            }
            int r = Libc.close(fd);
            if (r < 0 && r != -DdErrno.EINTR) {
                throw error(r);
            }
        }
    }
}
