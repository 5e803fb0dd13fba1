package io.dioring.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.dioring.ffi.linux.libc_h;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The libc calls dioring makes, with errno captured.
 *
 * <p>Convention, as in the kernel: a call that fails returns {@code -errno}; one that
 * succeeds returns what libc returned (never negative for these calls). No call here
 * allocates on the Java heap except {@link #open} and {@link #statx}, which must turn a
 * path into a C string.
 *
 * <p>Symbols and descriptors come from the generated {@link libc_h}; only the errno
 * capture and the variadic calling convention are added here.
 */
public final class Libc {
    private static final MethodHandle OPEN = ErrnoCapture.variadic(libc_h.open.address(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle CLOSE = plain(libc_h.close$address(), libc_h.close$descriptor());
    private static final MethodHandle MMAP = plain(libc_h.mmap$address(), libc_h.mmap$descriptor());
    private static final MethodHandle MUNMAP = plain(libc_h.munmap$address(), libc_h.munmap$descriptor());
    private static final MethodHandle STATX = plain(libc_h.statx$address(), libc_h.statx$descriptor());
    private static final MethodHandle FSTAT = plain(libc_h.fstat$address(), libc_h.fstat$descriptor());
    private static final MethodHandle FSTATFS = plain(libc_h.fstatfs$address(), libc_h.fstatfs$descriptor());
    private static final MethodHandle IOCTL = ErrnoCapture.variadic(libc_h.ioctl.address(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    private static final MethodHandle FCNTL = ErrnoCapture.variadic(libc_h.fcntl.address(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), 2);
    private static final MethodHandle FALLOCATE =
            plain(libc_h.fallocate$address(), libc_h.fallocate$descriptor());
    private static final MethodHandle FSYNC = plain(libc_h.fsync$address(), libc_h.fsync$descriptor());
    private static final MethodHandle FDATASYNC =
            plain(libc_h.fdatasync$address(), libc_h.fdatasync$descriptor());
    private static final MethodHandle FTRUNCATE =
            plain(libc_h.ftruncate$address(), libc_h.ftruncate$descriptor());
    private static final MethodHandle EVENTFD = plain(libc_h.eventfd$address(), libc_h.eventfd$descriptor());
    private static final MethodHandle PREAD = plain(libc_h.pread$address(), libc_h.pread$descriptor());
    private static final MethodHandle PWRITE = plain(libc_h.pwrite$address(), libc_h.pwrite$descriptor());
    private static final MethodHandle READ = plain(libc_h.read$address(), libc_h.read$descriptor());
    private static final MethodHandle WRITE = plain(libc_h.write$address(), libc_h.write$descriptor());
    /*
     * preadv/pwritev are not in the generated bindings yet (libc.includes lists them for the
     * next regeneration): looked up in libc by hand, ssize_t f(int fd, const struct iovec *iov,
     * int iovcnt, off_t offset).
     */
    private static final FunctionDescriptor VECTOR_IO = FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_INT, JAVA_LONG);
    private static final MethodHandle PREADV = plain(libcSymbol("preadv"), VECTOR_IO);
    private static final MethodHandle PWRITEV = plain(libcSymbol("pwritev"), VECTOR_IO);
    /** ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags). */
    private static final MethodHandle PWRITEV2 = plain(libcSymbol("pwritev2"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle POSIX_FADVISE =
            plain(libc_h.posix_fadvise$address(), libc_h.posix_fadvise$descriptor());

    private Libc() {}

    private static MethodHandle plain(MemorySegment symbol, FunctionDescriptor descriptor) {
        return ErrnoCapture.downcall(symbol, descriptor);
    }

    private static MemorySegment libcSymbol(String name) {
        return Linker.nativeLinker().defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    private static int check(int result, MemorySegment slot) {
        return result == -1 ? -ErrnoCapture.errno(slot) : result;
    }

    private static long check(long result, MemorySegment slot) {
        return result == -1 ? -ErrnoCapture.errno(slot) : result;
    }

    private static AssertionError unexpected(Throwable t) {
        return new AssertionError("downcall failed unexpectedly", t);
    }

    /** open(2): a file descriptor, or -errno. */
    public static int open(String path, int flags, int mode) {
        MemorySegment slot = ErrnoCapture.slot();
        try (Arena arena = Arena.ofConfined()) {
            return check((int) OPEN.invokeExact(slot, arena.allocateFrom(path), flags, mode), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** close(2): 0 or -errno. */
    public static int close(int fd) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((int) CLOSE.invokeExact(slot, fd), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * mmap(2) of {@code length} bytes of {@code fd} at {@code offset}: the mapping's address,
     * or -errno (mappings never sit at negative addresses).
     */
    public static long mmap(long length, int prot, int flags, int fd, long offset) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            MemorySegment addr = (MemorySegment) MMAP.invokeExact(slot, MemorySegment.NULL, length,
                    prot, flags, fd, offset);
            return check(addr.address(), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** munmap(2): 0 or -errno. */
    public static int munmap(long address, long length) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((int) MUNMAP.invokeExact(slot, MemorySegment.ofAddress(address), length), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** statx(2) into {@code buffer} (a {@code struct statx}): 0 or -errno. */
    public static int statx(int dirfd, String path, int flags, int mask, MemorySegment buffer) {
        MemorySegment slot = ErrnoCapture.slot();
        try (Arena arena = Arena.ofConfined()) {
            return check((int) STATX.invokeExact(slot, dirfd, arena.allocateFrom(path), flags, mask,
                    buffer), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fstat(2) into {@code buffer} (a {@code struct stat}): 0 or -errno. */
    public static int fstat(int fd, MemorySegment buffer) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((int) FSTAT.invokeExact(slot, fd, buffer), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fstatfs(2) into {@code buffer} (a {@code struct statfs}): 0 or -errno. */
    public static int fstatfs(int fd, MemorySegment buffer) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((int) FSTATFS.invokeExact(slot, fd, buffer), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** ioctl(2) with a pointer argument: the call's result or -errno. */
    public static int ioctl(int fd, long request, MemorySegment argument) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((int) IOCTL.invokeExact(slot, fd, request, argument), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fcntl(2) with an integer argument: the call's result or -errno. */
    public static int fcntl(int fd, int command, long argument) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((int) FCNTL.invokeExact(slot, fd, command, argument), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fallocate(2): 0 or -errno. */
    public static int fallocate(int fd, int mode, long offset, long length) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((int) FALLOCATE.invokeExact(slot, fd, mode, offset, length), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fsync(2): 0 or -errno. */
    public static int fsync(int fd) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((int) FSYNC.invokeExact(slot, fd), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fdatasync(2): 0 or -errno. */
    public static int fdatasync(int fd) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((int) FDATASYNC.invokeExact(slot, fd), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** ftruncate(2): 0 or -errno. */
    public static int ftruncate(int fd, long length) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((int) FTRUNCATE.invokeExact(slot, fd, length), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** eventfd(2): a file descriptor or -errno. */
    public static int eventfd(int initialValue, int flags) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((int) EVENTFD.invokeExact(slot, initialValue, flags), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pread(2) of {@code buffer.byteSize()} bytes: bytes read or -errno. */
    public static long pread(int fd, MemorySegment buffer, long offset) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((long) PREAD.invokeExact(slot, fd, buffer, buffer.byteSize(), offset), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * preadv(2): reads into the {@code count} buffers described by the {@code struct iovec}
     * array at {@code iovecs} (16 bytes each: base, length), from {@code offset} on.
     *
     * @return bytes read or -errno
     */
    public static long preadv(int fd, MemorySegment iovecs, int count, long offset) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((long) PREADV.invokeExact(slot, fd, iovecs, count, offset), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pwritev(2): writes the {@code count} buffers of the iovec array; see {@link #preadv}. */
    public static long pwritev(int fd, MemorySegment iovecs, int count, long offset) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((long) PWRITEV.invokeExact(slot, fd, iovecs, count, offset), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * pwritev2(2): {@link #pwritev} with per-write {@code flags} ({@link RwFlags}: RWF_DSYNC
     * makes this write durable before it returns).
     *
     * @return bytes written or -errno
     */
    public static long pwritev2(int fd, MemorySegment iovecs, int count, long offset, int flags) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((long) PWRITEV2.invokeExact(slot, fd, iovecs, count, offset, flags), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pwrite(2) of {@code buffer.byteSize()} bytes: bytes written or -errno. */
    public static long pwrite(int fd, MemorySegment buffer, long offset) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((long) PWRITE.invokeExact(slot, fd, buffer, buffer.byteSize(), offset), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** read(2) of up to {@code buffer.byteSize()} bytes: bytes read or -errno. */
    public static long read(int fd, MemorySegment buffer) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((long) READ.invokeExact(slot, fd, buffer, buffer.byteSize()), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** write(2) of {@code buffer.byteSize()} bytes: bytes written or -errno. */
    public static long write(int fd, MemorySegment buffer) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            return check((long) WRITE.invokeExact(slot, fd, buffer, buffer.byteSize()), slot);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** posix_fadvise(2): 0 or the error number negated (it does not use errno). */
    public static int posixFadvise(int fd, long offset, long length, int advice) {
        MemorySegment slot = ErrnoCapture.slot();
        try {
            int r = (int) POSIX_FADVISE.invokeExact(slot, fd, offset, length, advice);
            return -r;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** strerror(3): libc's message for an errno. */
    public static String strerror(int errno) {
        MemorySegment message = libc_h.strerror(errno);
        return message.reinterpret(Integer.MAX_VALUE).getString(0);
    }
}
