package io.dioring.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The libc calls dioring makes, with errno captured.
 *
 * <p>Convention, as in the kernel: a call that fails returns {@code -errno}; one that
 * succeeds returns what libc returned (never negative for these calls). No call here
 * allocates on the Java heap except {@link #open} and {@link #statx}, which must turn a
 * path into a C string.
 *
 * <p>Every call goes through {@link ErrnoCapture#call}, the one downcall handle of the
 * process (its Javadoc says why one is enough and what it saves at start-up); only the
 * symbols are looked up here, by name. The constants and struct layouts callers pass come
 * from the generated {@code io.dioring.ffi.linux.libc_h}, whose own per-function handles are
 * never touched (each would be created on first use of its function's descriptor).
 */
public final class Libc {
    private static final MemorySegment OPEN = ErrnoCapture.symbol("open");
    private static final MemorySegment CLOSE = ErrnoCapture.symbol("close");
    private static final MemorySegment MMAP = ErrnoCapture.symbol("mmap");
    private static final MemorySegment MUNMAP = ErrnoCapture.symbol("munmap");
    private static final MemorySegment STATX = ErrnoCapture.symbol("statx");
    private static final MemorySegment FSTAT = ErrnoCapture.symbol("fstat");
    private static final MemorySegment FSTATFS = ErrnoCapture.symbol("fstatfs");
    private static final MemorySegment IOCTL = ErrnoCapture.symbol("ioctl");
    private static final MemorySegment FCNTL = ErrnoCapture.symbol("fcntl");
    private static final MemorySegment FALLOCATE = ErrnoCapture.symbol("fallocate");
    private static final MemorySegment FSYNC = ErrnoCapture.symbol("fsync");
    private static final MemorySegment FDATASYNC = ErrnoCapture.symbol("fdatasync");
    private static final MemorySegment FTRUNCATE = ErrnoCapture.symbol("ftruncate");
    private static final MemorySegment EVENTFD = ErrnoCapture.symbol("eventfd");
    private static final MemorySegment PREAD = ErrnoCapture.symbol("pread");
    private static final MemorySegment PWRITE = ErrnoCapture.symbol("pwrite");
    private static final MemorySegment READ = ErrnoCapture.symbol("read");
    private static final MemorySegment WRITE = ErrnoCapture.symbol("write");
    private static final MemorySegment LSEEK = ErrnoCapture.symbol("lseek");
    private static final MemorySegment PREADV = ErrnoCapture.symbol("preadv");
    private static final MemorySegment PWRITEV = ErrnoCapture.symbol("pwritev");
    private static final MemorySegment PREADV2 = ErrnoCapture.symbol("preadv2");
    private static final MemorySegment PWRITEV2 = ErrnoCapture.symbol("pwritev2");
    private static final MemorySegment POSIX_FADVISE = ErrnoCapture.symbol("posix_fadvise");
    private static final MemorySegment STRERROR = ErrnoCapture.symbol("strerror");
    private static final MemorySegment SIGNAL = ErrnoCapture.symbol("signal");
    private static final MemorySegment KILL = ErrnoCapture.symbol("kill");
    private static final MemorySegment GETPAGESIZE = ErrnoCapture.symbol("getpagesize");
    private static final MemorySegment POLL = ErrnoCapture.symbol("poll");

    /**
     * {@code poll(2)}'s "data to read" event, from {@code <poll.h>}: kernel ABI, spelled out
     * until the next {@code regen.sh} run adds it to {@code libc_h} ({@code libc.includes} names it).
     */
    public static final short POLLIN = 0x0001;

    private Libc() {}

    private static int check(int result, MemorySegment slot) {
        return result == -1 ? -ErrnoCapture.errno(slot) : result;
    }

    private static long check(long result, MemorySegment slot) {
        return result == -1 ? -ErrnoCapture.errno(slot) : result;
    }

    /** A call of an {@code int}-returning function: its result, or -errno. */
    private static int intCall(MemorySegment function, long a0, long a1, long a2, long a3, long a4) {
        MemorySegment slot = ErrnoCapture.slot();
        return check((int) ErrnoCapture.call(function, slot, a0, a1, a2, a3, a4, 0, 0), slot);
    }

    /** A call of a {@code long}-returning ({@code ssize_t}, {@code off_t}) function: its result, or -errno. */
    private static long longCall(MemorySegment function, long a0, long a1, long a2, long a3, long a4) {
        MemorySegment slot = ErrnoCapture.slot();
        return check(ErrnoCapture.call(function, slot, a0, a1, a2, a3, a4, 0, 0), slot);
    }

    /** open(2): a file descriptor, or -errno. */
    public static int open(String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            return intCall(OPEN, arena.allocateFrom(path).address(), flags, mode, 0, 0);
        }
    }

    /** close(2): 0 or -errno. */
    public static int close(int fd) {
        return intCall(CLOSE, fd, 0, 0, 0, 0);
    }

    /**
     * mmap(2) of {@code length} bytes of {@code fd} at {@code offset}: the mapping's address,
     * or -errno (mappings never sit at negative addresses).
     */
    public static long mmap(long length, int prot, int flags, int fd, long offset) {
        MemorySegment slot = ErrnoCapture.slot();
        return check(ErrnoCapture.call(MMAP, slot, 0, length, prot, flags, fd, offset, 0), slot);
    }

    /** munmap(2): 0 or -errno. */
    public static int munmap(long address, long length) {
        return intCall(MUNMAP, address, length, 0, 0, 0);
    }

    /** statx(2) into {@code buffer} (a {@code struct statx}): 0 or -errno. */
    public static int statx(int dirfd, String path, int flags, int mask, MemorySegment buffer) {
        try (Arena arena = Arena.ofConfined()) {
            return intCall(STATX, dirfd, arena.allocateFrom(path).address(), flags, Integer.toUnsignedLong(mask),
                    ErrnoCapture.address(buffer));
        }
    }

    /** fstat(2) into {@code buffer} (a {@code struct stat}): 0 or -errno. */
    public static int fstat(int fd, MemorySegment buffer) {
        return intCall(FSTAT, fd, ErrnoCapture.address(buffer), 0, 0, 0);
    }

    /** fstatfs(2) into {@code buffer} (a {@code struct statfs}): 0 or -errno. */
    public static int fstatfs(int fd, MemorySegment buffer) {
        return intCall(FSTATFS, fd, ErrnoCapture.address(buffer), 0, 0, 0);
    }

    /** ioctl(2) with a pointer argument: the call's result or -errno. */
    public static int ioctl(int fd, long request, MemorySegment argument) {
        return intCall(IOCTL, fd, request, ErrnoCapture.address(argument), 0, 0);
    }

    /** fcntl(2) with an integer argument: the call's result or -errno. */
    public static int fcntl(int fd, int command, long argument) {
        return intCall(FCNTL, fd, command, argument, 0, 0);
    }

    /** fallocate(2): 0 or -errno. */
    public static int fallocate(int fd, int mode, long offset, long length) {
        return intCall(FALLOCATE, fd, mode, offset, length, 0);
    }

    /** fsync(2): 0 or -errno. */
    public static int fsync(int fd) {
        return intCall(FSYNC, fd, 0, 0, 0, 0);
    }

    /** fdatasync(2): 0 or -errno. */
    public static int fdatasync(int fd) {
        return intCall(FDATASYNC, fd, 0, 0, 0, 0);
    }

    /** ftruncate(2): 0 or -errno. */
    public static int ftruncate(int fd, long length) {
        return intCall(FTRUNCATE, fd, length, 0, 0, 0);
    }

    /** eventfd(2): a file descriptor or -errno. */
    public static int eventfd(int initialValue, int flags) {
        return intCall(EVENTFD, Integer.toUnsignedLong(initialValue), flags, 0, 0, 0);
    }

    /** pread(2) of {@code buffer.byteSize()} bytes: bytes read or -errno. */
    public static long pread(int fd, MemorySegment buffer, long offset) {
        return longCall(PREAD, fd, ErrnoCapture.address(buffer), buffer.byteSize(), offset, 0);
    }

    /**
     * preadv(2): reads into the {@code count} buffers described by the {@code struct iovec}
     * array at {@code iovecs} (16 bytes each: base, length), from {@code offset} on.
     *
     * @return bytes read or -errno
     */
    public static long preadv(int fd, MemorySegment iovecs, int count, long offset) {
        return longCall(PREADV, fd, ErrnoCapture.address(iovecs), count, offset, 0);
    }

    /**
     * preadv2(2): {@link #preadv} with per-read {@code flags} ({@link RwFlags}: RWF_NOWAIT
     * copies only what the page cache holds and fails with EAGAIN rather than wait for the
     * device).
     *
     * @return bytes read or -errno
     */
    public static long preadv2(int fd, MemorySegment iovecs, int count, long offset, int flags) {
        return longCall(PREADV2, fd, ErrnoCapture.address(iovecs), count, offset, flags);
    }

    /** pwritev(2): writes the {@code count} buffers of the iovec array; see {@link #preadv}. */
    public static long pwritev(int fd, MemorySegment iovecs, int count, long offset) {
        return longCall(PWRITEV, fd, ErrnoCapture.address(iovecs), count, offset, 0);
    }

    /**
     * pwritev2(2): {@link #pwritev} with per-write {@code flags} ({@link RwFlags}: RWF_DSYNC
     * makes this write durable before it returns).
     *
     * @return bytes written or -errno
     */
    public static long pwritev2(int fd, MemorySegment iovecs, int count, long offset, int flags) {
        return longCall(PWRITEV2, fd, ErrnoCapture.address(iovecs), count, offset, flags);
    }

    /** pwrite(2) of {@code buffer.byteSize()} bytes: bytes written or -errno. */
    public static long pwrite(int fd, MemorySegment buffer, long offset) {
        return longCall(PWRITE, fd, ErrnoCapture.address(buffer), buffer.byteSize(), offset, 0);
    }

    /** read(2) of up to {@code buffer.byteSize()} bytes: bytes read or -errno. */
    public static long read(int fd, MemorySegment buffer) {
        return longCall(READ, fd, ErrnoCapture.address(buffer), buffer.byteSize(), 0, 0);
    }

    /** write(2) of {@code buffer.byteSize()} bytes: bytes written or -errno. */
    public static long write(int fd, MemorySegment buffer) {
        return longCall(WRITE, fd, ErrnoCapture.address(buffer), buffer.byteSize(), 0, 0);
    }

    /** lseek(2): the new offset, or -errno. */
    public static long lseek(int fd, long offset, int whence) {
        return longCall(LSEEK, fd, offset, whence, 0, 0);
    }

    /** posix_fadvise(2): 0 or the error number negated (it does not use errno). */
    public static int posixFadvise(int fd, long offset, long length, int advice) {
        MemorySegment slot = ErrnoCapture.slot();
        return -(int) ErrnoCapture.call(POSIX_FADVISE, slot, fd, offset, length, advice, 0, 0, 0);
    }

    /** signal(2) with {@code SIG_DFL}: restores the default action of {@code signal}; 0 or -errno. */
    public static int signalDefault(int signal) {
        MemorySegment slot = ErrnoCapture.slot();
        long previous = ErrnoCapture.call(SIGNAL, slot, signal, 0 /* SIG_DFL */, 0, 0, 0, 0, 0);
        return previous == -1 /* SIG_ERR */ ? -ErrnoCapture.errno(slot) : 0;
    }

    /** kill(2): 0 or -errno. */
    public static int kill(long pid, int signal) {
        return intCall(KILL, pid, signal, 0, 0, 0);
    }

    /** getpagesize(2): the page size in bytes. */
    public static int pageSize() {
        return (int) ErrnoCapture.call(GETPAGESIZE, ErrnoCapture.slot(), 0, 0, 0, 0, 0, 0, 0);
    }

    /**
     * poll(2) of one descriptor for {@code events}, at most {@code timeoutMillis} (-1: no
     * limit). {@code pollfd} is caller-owned memory of at least 8 bytes ({@code struct pollfd}:
     * int fd, short events, short revents), so a loop that polls allocates nothing.
     *
     * @return 1 when the descriptor is ready, 0 on timeout, or -errno (EINTR included)
     */
    public static int poll(MemorySegment pollfd, int fd, short events, int timeoutMillis) {
        pollfd.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, fd);
        pollfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, events);
        pollfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 6, (short) 0);
        return intCall(POLL, ErrnoCapture.address(pollfd), 1, timeoutMillis, 0, 0);
    }

    /** strerror(3): libc's message for an errno. */
    public static String strerror(int errno) {
        long message = ErrnoCapture.call(STRERROR, ErrnoCapture.slot(), errno, 0, 0, 0, 0, 0, 0);
        return MemorySegment.ofAddress(message).reinterpret(Integer.MAX_VALUE).getString(0);
    }
}
