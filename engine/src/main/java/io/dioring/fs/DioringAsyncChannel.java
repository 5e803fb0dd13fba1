package io.dioring.fs;

import io.dioring.DirectFile;
import io.dioring.IoBuffers;
import io.dioring.channel.DirectFileChannel;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * An {@link AsynchronousFileChannel} over a dioring {@link DirectFileChannel}: reads and
 * writes go to the engine's asynchronous API ({@link DirectFile#read(long, MemorySegment,
 * Object, io.dioring.CompletionHandler)}), with no thread per operation. A direct buffer
 * whose memory meets the file's rules (any, without O_DIRECT; the file's memory alignment
 * with it) is read or written in place; any other buffer through a bounce buffer from the
 * engine's pool (a buffer of its own beyond {@value #POOLED_BOUNCE_MAX} bytes), copied in
 * before a write and out when a read completes. Only an O_DIRECT request whose position or
 * length breaks the file's offset alignment, which the engine cannot take, runs on a
 * virtual thread over the blocking channel, which makes it whole with aligned transfers.
 *
 * <p>As the JDK's: a read completes with the bytes read (-1 at or past the end of file),
 * the buffer's position is advanced by the count before the outcome is delivered, a write
 * past the end extends the file. Handlers run on the executor the channel was opened with,
 * else on a shared pool of daemon threads (the JDK's default is a pool too), never on the
 * engine's threads; futures are completed where the engine delivers. Argument and mode
 * errors are thrown at the call; an operation on a closed channel fails with
 * {@link ClosedChannelException}, one in flight when the channel closes with
 * {@link AsynchronousCloseException} (closing waits for the kernel to be done with every
 * buffer).
 */
final class DioringAsyncChannel extends AsynchronousFileChannel {
    /** Bounce buffers up to this size come from the engine's pool. */
    static final int POOLED_BOUNCE_MAX = (int) IoBuffers.SLAB_BYTES;

    private final FileChannel channel;
    /** The engine's file under {@link #channel}; null when the platform opened it (everything then goes the fallback way). */
    private final DirectFile file;
    private final IoBuffers buffers;
    private final boolean readable;
    private final boolean writable;
    private final Executor handlers;
    private volatile boolean closing;

    DioringAsyncChannel(FileChannel channel, IoBuffers buffers, boolean readable, boolean writable,
            ExecutorService executor) {
        this.channel = channel;
        this.file = channel instanceof DirectFileChannel d && buffers != null ? d.file() : null;
        this.buffers = buffers;
        this.readable = readable;
        this.writable = writable;
        this.handlers = executor != null ? executor : AsyncHandlers.POOL;
    }

    // ---- reads and writes through the engine ---------------------------------------------

    /**
     * One read or write: what is to be delivered where, and its bounce buffer if any. Its own
     * engine completion handler, so that an operation allocates this, its future if any, and
     * nothing per completion.
     */
    private final class Io<A> implements io.dioring.CompletionHandler<Object> {
        private final boolean read;
        private final ByteBuffer buffer;
        private final CompletableFuture<Integer> future;
        private final A attachment;
        private final CompletionHandler<Integer, ? super A> handler;
        private MemorySegment target; // the buffer's remaining bytes
        private MemorySegment bounce;
        private boolean pooled;

        Io(boolean read, ByteBuffer buffer, CompletableFuture<Integer> future, A attachment,
                CompletionHandler<Integer, ? super A> handler) {
            this.read = read;
            this.buffer = buffer;
            this.future = future;
            this.attachment = attachment;
            this.handler = handler;
        }

        void start(long position) {
            if (closing || !channel.isOpen()) {
                fail(new ClosedChannelException());
                return;
            }
            int length = buffer.remaining();
            if (length == 0) {
                succeed(0);
                return;
            }
            if (file == null || (file.isDirect() && !aligned(position, length, file.offsetAlignment()))) {
                fallback(position);
                return;
            }
            target = MemorySegment.ofBuffer(buffer);
            MemorySegment segment = target;
            if (!buffer.isDirect() || (target.address() & (file.memoryAlignment() - 1)) != 0) {
                segment = takeBounce(length);
                if (!read) {
                    MemorySegment.copy(target, 0, segment, 0, length);
                }
            }
            try {
                if (read) {
                    file.read(position, segment, null, this);
                } else {
                    file.write(position, segment, null, this);
                }
            } catch (IllegalStateException closed) { // the file or the engine closed meanwhile
                giveBounce();
                fail(new ClosedChannelException());
            } catch (IllegalArgumentException e) { // position + length overflows: at the call, as the JDK's
                giveBounce();
                throw e;
            }
        }

        private MemorySegment takeBounce(int length) {
            if (length <= POOLED_BOUNCE_MAX) {
                try {
                    bounce = buffers.takeFor(file, length);
                    pooled = true;
                    return bounce;
                } catch (IllegalArgumentException | IllegalStateException e) {
                    // the pool cannot align to the file, or has taken its limit: a buffer of our own
                }
            }
            bounce = Arena.ofAuto().allocate(length, Math.max(IoBuffers.DEFAULT_ALIGNMENT, file.memoryAlignment()));
            return bounce;
        }

        private void giveBounce() {
            if (pooled) {
                pooled = false;
                buffers.give(bounce);
            }
            bounce = null;
        }

        /** The blocking channel on a virtual thread: for what the engine cannot take. */
        private void fallback(long position) {
            Thread.ofVirtual().name("dioring-async").start(() -> {
                int n;
                try {
                    n = read ? channel.read(buffer, position) : channel.write(buffer, position);
                } catch (Throwable t) {
                    fail(t);
                    return;
                }
                succeed(n);
            });
        }

        @Override
        public void completed(long bytes, Object ignored) {
            assert bytes >= 0 && bytes <= buffer.remaining() : bytes + " bytes for " + buffer;
            if (bounce != null && read && bytes > 0) {
                MemorySegment.copy(bounce, 0, target, 0, bytes);
            }
            giveBounce();
            if (closing) {
                fail(new AsynchronousCloseException());
                return;
            }
            buffer.position(buffer.position() + (int) bytes);
            succeed(read && bytes == 0 ? -1 : (int) bytes);
        }

        @Override
        public void failed(Throwable failure, Object ignored) {
            giveBounce();
            fail(closing || failure instanceof CancellationException ? new AsynchronousCloseException() : failure);
        }

        private void succeed(int n) {
            if (future != null) {
                future.complete(n);
            } else {
                handlers.execute(() -> handler.completed(n, attachment));
            }
        }

        private void fail(Throwable t) {
            if (future != null) {
                future.completeExceptionally(t);
            } else {
                handlers.execute(() -> handler.failed(t, attachment));
            }
        }
    }

    private static boolean aligned(long position, int length, int alignment) {
        return ((position | length) & (alignment - 1)) == 0;
    }

    // ---- locks: a virtual thread waits for a lock another process holds -------------------

    @FunctionalInterface
    private interface Op<V> {
        V run() throws IOException;
    }

    /** Runs {@code op} on a virtual thread; completes the future with its outcome. */
    private <V> CompletableFuture<V> start(Op<V> op) {
        CompletableFuture<V> future = new CompletableFuture<>();
        if (closing || !channel.isOpen()) {
            future.completeExceptionally(new ClosedChannelException());
            return future;
        }
        Thread.ofVirtual().name("dioring-async-lock").start(() -> {
            try {
                future.complete(op.run());
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return future;
    }

    private <V, A> void start(Op<V> op, A attachment, CompletionHandler<V, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        start(op).whenComplete((v, t) -> {
            Runnable call = t == null ? () -> handler.completed(v, attachment)
                    : () -> handler.failed(t instanceof java.util.concurrent.CompletionException c ? c.getCause() : t,
                            attachment);
            handlers.execute(call);
        });
    }

    private void checkRead(ByteBuffer dst, long position) {
        Objects.requireNonNull(dst, "dst");
        if (position < 0) {
            throw new IllegalArgumentException("read at position " + position + ": must be >= 0");
        }
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("read into a read-only buffer");
        }
        if (!readable) {
            throw new NonReadableChannelException();
        }
    }

    private void checkWrite(ByteBuffer src, long position) {
        Objects.requireNonNull(src, "src");
        if (position < 0) {
            throw new IllegalArgumentException("write at position " + position + ": must be >= 0");
        }
        if (!writable) {
            throw new NonWritableChannelException();
        }
    }

    @Override
    public Future<Integer> read(ByteBuffer dst, long position) {
        checkRead(dst, position);
        CompletableFuture<Integer> f = new CompletableFuture<>();
        new Io<Void>(true, dst, f, null, null).start(position);
        return f;
    }

    @Override
    public <A> void read(ByteBuffer dst, long position, A attachment, CompletionHandler<Integer, ? super A> handler) {
        checkRead(dst, position);
        Objects.requireNonNull(handler, "handler");
        new Io<A>(true, dst, null, attachment, handler).start(position);
    }

    @Override
    public Future<Integer> write(ByteBuffer src, long position) {
        checkWrite(src, position);
        CompletableFuture<Integer> f = new CompletableFuture<>();
        new Io<Void>(false, src, f, null, null).start(position);
        return f;
    }

    @Override
    public <A> void write(ByteBuffer src, long position, A attachment, CompletionHandler<Integer, ? super A> handler) {
        checkWrite(src, position);
        Objects.requireNonNull(handler, "handler");
        new Io<A>(false, src, null, attachment, handler).start(position);
    }

    private void checkLock(long position, long size, boolean shared) throws NonReadableChannelException {
        if (position < 0 || size < 0 || (size > 0 && position + size < 0)) {
            throw new IllegalArgumentException("lock(position " + position + ", size " + size + "): invalid");
        }
        if (shared && !readable) {
            throw new NonReadableChannelException();
        }
        if (!shared && !writable) {
            throw new NonWritableChannelException();
        }
    }

    @Override
    public Future<FileLock> lock(long position, long size, boolean shared) {
        checkLock(position, size, shared);
        FileLock now = lockAtOnce(position, size, shared);
        return now != null ? CompletableFuture.completedFuture(now)
                : start(() -> new AsyncLock(this, channel.lock(position, size, shared)));
    }

    @Override
    public <A> void lock(long position, long size, boolean shared, A attachment,
            CompletionHandler<FileLock, ? super A> handler) {
        checkLock(position, size, shared);
        FileLock now = lockAtOnce(position, size, shared);
        start(() -> now != null ? now : new AsyncLock(this, channel.lock(position, size, shared)), attachment,
                handler);
    }

    /**
     * The lock, when free now; null when it is to be waited for (another process holds the
     * range) or the attempt failed (the asynchronous operation then reports it). A range a
     * channel of this JVM holds throws {@link java.nio.channels.OverlappingFileLockException}
     * here, at the call, as the JDK's {@code lock}.
     */
    private FileLock lockAtOnce(long position, long size, boolean shared) {
        if (!channel.isOpen()) {
            return null;
        }
        try {
            FileLock lock = channel.tryLock(position, size, shared);
            return lock == null ? null : new AsyncLock(this, lock);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        checkLock(position, size, shared);
        FileLock lock = channel.tryLock(position, size, shared);
        return lock == null ? null : new AsyncLock(this, lock);
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public AsynchronousFileChannel truncate(long size) throws IOException {
        channel.truncate(size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        channel.force(metaData);
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        closing = true;
        channel.close();
    }
}
