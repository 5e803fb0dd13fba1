package io.dioring.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * An {@link AsynchronousFileChannel} over a dioring {@link FileChannel}: each read, write
 * and lock runs on a virtual thread of its own, which waits for the engine's completion
 * without holding a carrier; the handler runs on that virtual thread, or on the executor
 * the channel was opened with. Argument and mode errors are thrown at the call, as the
 * JDK's; an operation on a closed channel fails with {@link ClosedChannelException}, one
 * in progress when the channel closes with
 * {@link java.nio.channels.AsynchronousCloseException}.
 */
final class DioringAsyncChannel extends AsynchronousFileChannel {
    private final FileChannel channel;
    private final boolean readable;
    private final boolean writable;
    private final Executor handlers;

    DioringAsyncChannel(FileChannel channel, boolean readable, boolean writable, ExecutorService executor) {
        this.channel = channel;
        this.readable = readable;
        this.writable = writable;
        this.handlers = executor;
    }

    @FunctionalInterface
    private interface Op<V> {
        V run() throws IOException;
    }

    /** Runs {@code op} on a virtual thread; completes {@code future} with its outcome, then calls {@code after}. */
    private <V> CompletableFuture<V> start(Op<V> op) {
        CompletableFuture<V> future = new CompletableFuture<>();
        if (!channel.isOpen()) {
            future.completeExceptionally(new ClosedChannelException());
            return future;
        }
        Thread.ofVirtual().name("dioring-async").start(() -> {
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
            if (handlers != null) {
                handlers.execute(call);
            } else {
                call.run();
            }
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
        return start(() -> channel.read(dst, position));
    }

    @Override
    public <A> void read(ByteBuffer dst, long position, A attachment, CompletionHandler<Integer, ? super A> handler) {
        checkRead(dst, position);
        start(() -> channel.read(dst, position), attachment, handler);
    }

    @Override
    public Future<Integer> write(ByteBuffer src, long position) {
        checkWrite(src, position);
        return start(() -> channel.write(src, position));
    }

    @Override
    public <A> void write(ByteBuffer src, long position, A attachment, CompletionHandler<Integer, ? super A> handler) {
        checkWrite(src, position);
        start(() -> channel.write(src, position), attachment, handler);
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
        channel.close();
    }

    /** A lock of the channel underneath, as acquired by this asynchronous channel. */
    private static final class AsyncLock extends FileLock {
        private final FileLock lock;

        AsyncLock(AsynchronousFileChannel owner, FileLock lock) {
            super(owner, lock.position(), lock.size(), lock.isShared());
            this.lock = lock;
        }

        @Override
        public boolean isValid() {
            return lock.isValid();
        }

        @Override
        public void release() throws IOException {
            lock.release();
        }
    }
}
