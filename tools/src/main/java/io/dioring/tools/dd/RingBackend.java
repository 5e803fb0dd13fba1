package io.dioring.tools.dd;

import io.dioring.CompletionHandler;
import io.dioring.CompletionMode;
import io.dioring.DirectFile;
import io.dioring.DirectIoException;
import io.dioring.EngineConfig;
import io.dioring.IoEngine;
import io.dioring.OwnedRing;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * dd's I/O through dioring: up to {@code qd} reads in flight through an {@link OwnedRing}
 * on the copying thread, submitted in one io_uring_enter per wait, completed in order, and
 * up to {@code qd} writes queued behind a writer thread. Files are opened exactly as {@link PosixBackend} opens them (dd's flags, dd's
 * messages); only positional transfers on regular files and block devices go through the
 * ring. Pipes, terminals and O_APPEND outputs stay with the synchronous backend.
 *
 * <p><b>Reads</b> are dd's own: the input's {@link DirectFile} has raw outcomes on
 * ({@link DirectFile#setRawOutcomes}), so each read completes with exactly what the kernel
 * returned for it (a short read is a partial record, as GNU dd counts it; an error fails
 * that read alone, never its neighbours). Up to {@code qd} of them are in flight ahead.
 *
 * <p><b>Writes are crash-consistent, and overlap the reads</b> ({@link RingOutput}). The
 * output is never sized ahead of what was written: at every moment its size covers only
 * bytes copied, so a copy cut short by a signal, SIGKILL, ENOSPC or power loss is a prefix
 * of what GNU dd writes. Writes go to a {@link DdWriterThread}, which makes them in order,
 * one at a time, each only after every earlier one completed, with pwrite(2) of the whole
 * block as GNU dd's write (on zram and the disk an extending O_DIRECT write blocks anyway:
 * io_uring would only hand it to an io-wq worker); up to {@code qd} wait queued behind it. A
 * failed write has nothing behind it in the kernel and the queued ones are never made, so no
 * write after a failed one ever lands ({@code conv=notrunc} included), as with GNU dd. The
 * copying thread meanwhile reads ahead: on a device where the CPU is the limit (zram)
 * reading and writing run on two CPUs, and the copy takes about the larger of the two
 * instead of their sum.
 *
 * <p><b>Inherited descriptors</b> (standard input and output) are read and written at
 * explicit offsets; {@link DdInput#endAt}/{@link DdOutput#endAt} then move their offset to
 * where GNU dd's read and write calls would have left it.
 */
public final class RingBackend implements DdBackend {
    private final PosixBackend posix;
    private final int queueDepth;
    private IoEngine engine;
    private OwnedRing ring;

    /**
     * @param posix opens the files (and handles what is not positional)
     * @param queueDepth ring entries; dd's qd= bounds what is actually in flight
     */
    public RingBackend(PosixBackend posix, int queueDepth) {
        this.posix = posix;
        this.queueDepth = queueDepth;
    }

    /** The engine's backend (io_uring, or its thread pool where io_uring is blocked: EngineConfig AUTO). */
    public static DdBackend best(PosixBackend posix) {
        return new RingBackend(posix, 64);
    }

    @Override
    public DdInput openInput(String path, int flags) throws DdIoException {
        DdInput in = posix.openInput(path, flags);
        if (in instanceof PosixBackend.FdFile f && positional(f.fd()) && ringReady()) {
            return new RingInput(f, name(path));
        }
        return in;
    }

    @Override
    public DdOutput openOutput(String path, int flags, boolean nocreat, boolean excl, boolean truncate,
            boolean tryReadWrite) throws DdIoException {
        DdOutput out = posix.openOutput(path, flags, nocreat, excl, truncate, tryReadWrite);
        if (out instanceof PosixBackend.FdFile f && positional(f.fd()) && (fdFlags(f.fd()) & libc_h.O_APPEND()) == 0
                && ringReady()) {
            return new RingOutput(f, isRegular(f.fd()), queueDepth);
        }
        return out;
    }

    private static Path name(String path) {
        return Path.of(path == null ? "-" : path);
    }

    private OwnedRing ring() throws IOException {
        if (ring == null) {
            engine = IoEngine.create(EngineConfig.defaults().withRings(1).withQueueDepth(queueDepth)
                    .withCompletionMode(CompletionMode.INLINE));
            ring = engine.ownedRing(queueDepth);
        }
        return ring;
    }

    /**
     * Sets the ring up while dd opens its files, as GNU dd's start-up, not inside the timed
     * copy; where that fails the file stays with the synchronous backend (same results).
     */
    private boolean ringReady() {
        try {
            ring();
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Releases the ring and the engine (after every file is closed). */
    @Override
    public void close() {
        if (ring != null) {
            ring.close();
            ring = null;
        }
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }

    /** The file type bits of fstat's st_mode (0 when fstat fails). */
    private static int mode(int fd) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment st = arena.allocate(io.dioring.ffi.linux.stat.layout());
            return Libc.fstat(fd, st) == 0 ? io.dioring.ffi.linux.stat.st_mode(st) & libc_h.S_IFMT() : 0;
        }
    }

    private static boolean isRegular(int fd) {
        return mode(fd) == libc_h.S_IFREG();
    }

    private static boolean positional(int fd) {
        int m = mode(fd);
        return m == libc_h.S_IFREG() || m == libc_h.S_IFBLK();
    }

    private static int fdFlags(int fd) {
        return Libc.fcntl(fd, libc_h.F_GETFL(), 0);
    }

    private static boolean direct(int fd) {
        int flags = fdFlags(fd);
        return flags >= 0 && (flags & libc_h.O_DIRECT()) != 0;
    }

    /** One transfer in flight, completed by the ring on the copying thread. */
    private static final class Transfer {
        long offset;
        long length;
        long result;
        Throwable failure;
        boolean done;

        Transfer reset(long offset, long length) {
            this.offset = offset;
            this.length = length;
            this.result = 0;
            this.failure = null;
            this.done = false;
            return this;
        }
    }

    private static final CompletionHandler<Transfer> DONE = new CompletionHandler<>() {
        @Override
        public void completed(long bytes, Transfer t) {
            t.result = bytes;
            t.done = true;
        }

        @Override
        public void failed(Throwable failure, Transfer t) {
            t.failure = failure;
            t.done = true;
        }
    };

    /** Transfers in submission order, recycled. */
    private final class Queue {
        private final ArrayDeque<Transfer> inFlight = new ArrayDeque<>();
        private final ArrayDeque<Transfer> idle = new ArrayDeque<>();

        Transfer add(long offset, long length) {
            Transfer t = idle.poll();
            t = (t == null ? new Transfer() : t).reset(offset, length);
            inFlight.addLast(t);
            return t;
        }

        /** Waits for the oldest transfer and hands it back (recycled on the next add). */
        Transfer awaitOldest() throws DdIoException {
            Transfer t = inFlight.pollFirst();
            if (t == null) {
                throw new IllegalStateException("await with nothing submitted");
            }
            while (!t.done) {
                ring.await(1);
            }
            idle.addLast(t);
            return t;
        }

        boolean isEmpty() {
            return inFlight.isEmpty();
        }
    }

    /** Whether O_DIRECT would refuse this transfer (the kernel says EINVAL; so do we). */
    private static boolean misaligned(DirectFile file, long offset, MemorySegment buffer) {
        long align = file.offsetAlignment();
        return file.isDirect() && ((offset | buffer.byteSize()) & (align - 1)) != 0
                || (buffer.address() & (file.memoryAlignment() - 1)) != 0;
    }

    private final class RingInput implements DdInput {
        private final PosixBackend.FdFile fd;
        private final Path name;
        private final Queue queue = new Queue();
        private DirectFile file;

        RingInput(PosixBackend.FdFile fd, Path name) {
            this.fd = fd;
            this.name = name;
        }

        @Override public boolean seekable() { return fd.seekable(); }
        @Override public long startOffset() { return fd.startOffset(); }
        @Override public int seekErrno() { return fd.seekErrno(); }
        @Override public long usableSize() throws DdIoException { return fd.usableSize(); }
        @Override public void seek(long offset) throws DdIoException { fd.seek(offset); }
        @Override public long seekEnd() throws DdIoException { return fd.seekEnd(); }
        @Override public int maxInFlight() { return queueDepth; }
        @Override public void dropCache(long offset, long length) { fd.dropCache(offset, length); }
        @Override public void endAt(long offset) { fd.endAt(offset); }

        @Override
        public void submitRead(long offset, MemorySegment dst) {
            Transfer t = queue.add(offset, dst.byteSize());
            try {
                if (file == null) {
                    ring();
                    file = engine.adopt(fd.fd(), name, direct(fd.fd()), true, false);
                    file.setRawOutcomes(true);
                }
                if (misaligned(file, offset, dst)) {
                    // The kernel answers a read at or past end of file with 0 before it looks
                    // at alignment; anything else misaligned is EINVAL.
                    if (offset >= file.size()) {
                        DONE.completed(0, t);
                    } else {
                        DONE.failed(new DirectIoException(Errno.EINVAL, "read", name, offset, dst.byteSize()), t);
                    }
                    return;
                }
                ring.read(file, offset, dst, t, DONE);
            } catch (IOException | RuntimeException e) {
                DONE.failed(e, t);
            }
        }

        @Override
        public long awaitRead() throws DdIoException {
            Transfer t = queue.awaitOldest();
            if (t.failure != null) {
                throw DdIoException.ofEngine(t.failure, 0);
            }
            return t.result;
        }

        @Override
        public void close() throws DdIoException {
            while (!queue.isEmpty()) {
                try {
                    queue.awaitOldest();
                } catch (DdIoException ignored) {
                    // reads dd no longer wants; their buffers must not be freed under the kernel
                }
            }
            if (file != null) {
                file.close();
            }
            fd.close();
        }
    }
}
