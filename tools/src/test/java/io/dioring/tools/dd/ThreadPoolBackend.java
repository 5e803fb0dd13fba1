package io.dioring.tools.dd;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A test backend with real concurrency: positional reads and writes on a thread pool, up to
 * {@code depth} of each in flight, completing in any order (awaited in order). It exercises
 * {@link DdCopy}'s pipelining the way an io_uring backend will, and can inject faults: reads
 * covering byte {@code failReadAt} fail with EIO, writes reaching past {@code failWriteAt} stop
 * there with ENOSPC.
 */
final class ThreadPoolBackend implements DdBackend, AutoCloseable {
    static final int EIO = 5;
    static final int ENOSPC = 28;

    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final int depth;
    private final long failReadAt;
    private final long failWriteAt;
    private final boolean jitter;

    ThreadPoolBackend(int depth, long failReadAt, long failWriteAt, boolean jitter) {
        this.depth = depth;
        this.failReadAt = failReadAt;
        this.failWriteAt = failWriteAt;
        this.jitter = jitter;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    private static DdIoException errno(int errno, long transferred) {
        return new DdIoException(errno, DdErrno.strerror(errno), transferred);
    }

    private static DdIoException mapOpen(IOException e) {
        if (e instanceof NoSuchFileException) {
            return errno(2, 0);
        }
        if (e instanceof FileAlreadyExistsException) {
            return errno(17, 0);
        }
        return errno(EIO, 0);
    }

    private void maybeJitter() {
        if (jitter && Math.random() < 0.3) {
            try {
                Thread.sleep(0, (int) (Math.random() * 200_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static long await(Future<Long> f) throws DdIoException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DdIoException d) {
                throw d;
            }
            throw errno(EIO, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw errno(4, 0);
        }
    }

    @Override
    public DdInput openInput(String path, int flags) throws DdIoException {
        FileChannel ch;
        try {
            ch = FileChannel.open(Path.of(path), StandardOpenOption.READ);
        } catch (IOException e) {
            throw mapOpen(e);
        }
        ArrayDeque<Future<Long>> inflight = new ArrayDeque<>();
        return new DdInput() {
            @Override public boolean seekable() { return true; }
            @Override public long startOffset() { return 0; }
            @Override public int seekErrno() { return 0; }
            @Override public int maxInFlight() { return depth; }
            @Override public void dropCache(long offset, long length) { }

            @Override
            public long usableSize() throws DdIoException {
                try {
                    return ch.size();
                } catch (IOException e) {
                    throw errno(EIO, 0);
                }
            }

            @Override public void seek(long offset) { }

            @Override
            public long seekEnd() throws DdIoException {
                return usableSize();
            }

            @Override
            public void submitRead(long offset, MemorySegment dst) {
                if (inflight.size() >= depth) {
                    throw new IllegalStateException("more than " + depth + " reads in flight");
                }
                inflight.add(pool.submit(() -> {
                    maybeJitter();
                    if (offset <= failReadAt && failReadAt < offset + dst.byteSize()) {
                        throw errno(EIO, 0);
                    }
                    ByteBuffer bb = dst.asByteBuffer();
                    int n = ch.read(bb, offset);
                    return (long) Math.max(n, 0);
                }));
            }

            @Override
            public long awaitRead() throws DdIoException {
                return await(inflight.poll());
            }

            @Override
            public void close() throws DdIoException {
                try {
                    ch.close();
                } catch (IOException e) {
                    throw errno(EIO, 0);
                }
            }
        };
    }

    @Override
    public DdOutput openOutput(String path, int flags, boolean nocreat, boolean excl, boolean truncate,
            boolean tryReadWrite) throws DdIoException {
        Set<OpenOption> options = new HashSet<>();
        options.add(StandardOpenOption.WRITE);
        if (excl) {
            options.add(StandardOpenOption.CREATE_NEW);
        } else if (!nocreat) {
            options.add(StandardOpenOption.CREATE);
        }
        if (truncate) {
            options.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(Path.of(path), options);
        } catch (IOException e) {
            throw mapOpen(e);
        }
        ArrayDeque<Future<Long>> inflight = new ArrayDeque<>();
        return new DdOutput() {
            @Override public boolean seekable() { return true; }
            @Override public long startOffset() { return 0; }
            @Override public int seekErrno() { return 0; }
            @Override public int maxInFlight() { return depth; }
            @Override public boolean truncatable() { return true; }
            @Override public void seek(long offset) { }
            @Override public void dropDirect() { }
            @Override public void dropCache(long offset, long length) { }

            @Override
            public long seekEnd() throws DdIoException {
                return size();
            }

            @Override
            public long size() throws DdIoException {
                try {
                    return ch.size();
                } catch (IOException e) {
                    throw errno(EIO, 0);
                }
            }

            @Override
            public void truncate(long size) throws DdIoException {
                try {
                    if (size < ch.size()) {
                        ch.truncate(size);
                    } else if (size > ch.size()) {
                        ch.write(ByteBuffer.allocate(1), size - 1);
                    }
                } catch (IOException e) {
                    throw errno(EIO, 0);
                }
            }

            @Override
            public void submitWrite(long offset, MemorySegment src) {
                if (inflight.size() >= depth) {
                    throw new IllegalStateException("more than " + depth + " writes in flight");
                }
                inflight.add(pool.submit(() -> {
                    maybeJitter();
                    long len = src.byteSize();
                    long allowed = Math.max(0, Math.min(len, failWriteAt - offset));
                    ByteBuffer bb = src.asSlice(0, allowed).asByteBuffer();
                    long done = 0;
                    while (bb.hasRemaining()) {
                        done += ch.write(bb, offset + done);
                    }
                    if (allowed < len) {
                        throw errno(ENOSPC, allowed);
                    }
                    return len;
                }));
            }

            @Override
            public long awaitWrite() throws DdIoException {
                return await(inflight.poll());
            }

            @Override
            public void fsync() throws DdIoException {
                try {
                    ch.force(true);
                } catch (IOException e) {
                    throw errno(EIO, 0);
                }
            }

            @Override
            public void fdatasync() throws DdIoException {
                fsync();
            }

            @Override
            public void close() throws DdIoException {
                try {
                    ch.close();
                } catch (IOException e) {
                    throw errno(EIO, 0);
                }
            }
        };
    }
}
