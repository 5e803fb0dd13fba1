package io.dioring.channel;

import io.dioring.DirectFile;
import io.dioring.IoBuffers;
import io.dioring.DirectIoException;
import io.dioring.IoEngine;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link FileChannel} over a {@link DirectFile}: blocking reads and writes go through
 * the engine's rings (a virtual thread waiting for one unmounts; no carrier is pinned),
 * with O_DIRECT where the file has it. Obtained from {@link IoEngine#openChannel}.
 *
 * <h2>What works</h2>
 * Positional and relative {@code read}/{@code write}, scattering and gathering,
 * {@code position}, {@code size}, {@code truncate} (never grows; the position is clamped),
 * {@code force} (fsync / fdatasync), {@code transferTo}/{@code transferFrom} (a copy loop
 * through an aligned buffer), {@code isOpen}/{@code close}, with the JDK's results: -1 at or
 * beyond the end of file, 0 for a buffer without room. Options: READ, WRITE, APPEND (the
 * channel writes at the size before each relative write, under its position lock;
 * positional writes go where they are told), CREATE, CREATE_NEW, TRUNCATE_EXISTING,
 * DELETE_ON_CLOSE, DSYNC, SYNC, SPARSE (ignored, as on Linux), ExtendedOpenOption.DIRECT
 * (the default anyway) and a {@link io.dioring.DirectIoPolicy} (default REQUIRED). A
 * writable channel opens the file for reading too (a write covering part of an alignment
 * unit reads that unit back first), so a file the process may write but not read cannot be
 * opened for writing.
 *
 * <h2>Buffers</h2>
 * Any {@link ByteBuffer} at any position and length, at any file offset. A direct buffer
 * whose address is a multiple of the file's memory alignment, at an offset and of a length
 * that are multiples of its offset alignment, is read into or written from in place: no
 * copy, and no allocation when a thread reuses the buffer (see {@link BufferViews}).
 * Everything else is copied through an aligned
 * bounce buffer, and a write covering part of an alignment unit reads, patches and writes
 * back that unit (serialized against the channel's other writes; see
 * {@link AlignedTransfer}).
 *
 * <h2>Interruption and close</h2>
 * As {@link java.nio.channels.spi.AbstractInterruptibleChannel}: a thread interrupted in
 * (or before) a blocking operation closes the channel and gets
 * {@link java.nio.channels.ClosedByInterruptException} with its interrupt status set; a
 * thread whose operation was in progress when another thread closed the channel gets
 * {@link java.nio.channels.AsynchronousCloseException}, even if its last I/O completed (a
 * bounce-buffer transfer may have been cut short between chunks); later calls get
 * {@link ClosedChannelException}. An I/O already submitted is never abandoned (the kernel
 * may still write its buffer): close waits for it, and the caller returns when it ends.
 *
 * <h2>Not supported</h2>
 * {@link #map} and {@link #lock}/{@link #tryLock} throw {@link UnsupportedOperationException}:
 * a mapping bypasses direct I/O, and POSIX record locks through a second descriptor would
 * not keep the JDK's per-channel lock semantics (closing any descriptor of the file drops
 * them all).
 */
public final class DirectFileChannel extends FileChannel {
    private final DirectFile file;
    private final AlignedTransfer transfer;
    private final IoBuffers buffers;
    private final ChannelOptions options;
    private final ReentrantLock positionLock = new ReentrantLock();
    private long position; // guarded by positionLock

    private DirectFileChannel(DirectFile file, IoBuffers buffers, ChannelOptions options) {
        this.file = file;
        this.buffers = buffers;
        this.options = options;
        this.transfer = new AlignedTransfer(file, buffers);
    }

    /**
     * Opens {@code path} on {@code engine} with {@link FileChannel#open}'s options.
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist (and is not created)
     * @throws java.nio.file.FileAlreadyExistsException for CREATE_NEW on an existing file
     * @throws UnsupportedOperationException for an option the channel does not support
     */
    public static FileChannel open(IoEngine engine, Path path, OpenOption... options) throws IOException {
        Objects.requireNonNull(engine, "engine");
        ChannelOptions parsed = ChannelOptions.parse(path, options);
        DirectFile file;
        try {
            file = engine.open(path, parsed.engineOptions());
        } catch (DirectIoException e) {
            throw "open".equals(e.op()) ? OpenErrors.translate(e, path) : e;
        }
        try {
            return new DirectFileChannel(file, engine.buffers(), parsed);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** The engine file underneath (for its alignment and counters; do not close it). */
    public DirectFile file() {
        return file;
    }

    // ---- reads ---------------------------------------------------------------------------

    @Override
    public int read(ByteBuffer dst) throws IOException {
        checkReadable(dst);
        positionLock.lock();
        try {
            int n = 0;
            boolean done = false;
            try {
                begin();
                n = transfer.read(dst, position);
                done = true;
            } catch (IllegalStateException e) {
                rethrowUnlessClosed(e);
            } finally {
                end(done && isOpen());
            }
            if (n > 0) {
                position += n;
            }
            return n;
        } finally {
            positionLock.unlock();
        }
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("read at position " + position + ": position must be >= 0");
        }
        checkReadable(dst);
        int n = 0;
        boolean done = false;
        try {
            begin();
            n = transfer.read(dst, position);
            done = true;
        } catch (IllegalStateException e) {
            rethrowUnlessClosed(e);
        } finally {
            end(done && isOpen());
        }
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        for (int i = offset; i < offset + length; i++) {
            checkReadable(dsts[i]);
        }
        positionLock.lock();
        try {
            long total = 0;
            boolean endOfFile = false;
            boolean done = false;
            try {
                begin();
                for (int i = offset; i < offset + length && !endOfFile; i++) {
                    ByteBuffer dst = dsts[i];
                    if (!dst.hasRemaining()) {
                        continue;
                    }
                    int n = transfer.read(dst, position + total);
                    if (n < 0) {
                        endOfFile = true;
                    } else {
                        total += n;
                        endOfFile = dst.hasRemaining(); // short: the file ended inside this buffer
                    }
                }
                done = true;
            } catch (IllegalStateException e) {
                rethrowUnlessClosed(e);
            } finally {
                end(done && isOpen());
            }
            position += total;
            return total == 0 && endOfFile ? -1 : total;
        } finally {
            positionLock.unlock();
        }
    }

    // ---- writes --------------------------------------------------------------------------

    @Override
    public int write(ByteBuffer src) throws IOException {
        checkWritable(src);
        positionLock.lock();
        try {
            int n = 0;
            boolean done = false;
            try {
                begin();
                n = transfer.write(src, position, options.append());
                done = true;
            } catch (IllegalStateException e) {
                rethrowUnlessClosed(e);
            } finally {
                end(done && isOpen());
            }
            position = options.append() ? transfer.size() : position + n;
            return n;
        } finally {
            positionLock.unlock();
        }
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("write at position " + position + ": position must be >= 0");
        }
        checkWritable(src);
        int n = 0;
        boolean done = false;
        try {
            begin();
            n = transfer.write(src, position, false);
            done = true;
        } catch (IllegalStateException e) {
            rethrowUnlessClosed(e);
        } finally {
            end(done && isOpen());
        }
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        for (int i = offset; i < offset + length; i++) {
            checkWritable(srcs[i]);
        }
        positionLock.lock();
        try {
            long total = 0;
            boolean done = false;
            try {
                begin();
                for (int i = offset; i < offset + length; i++) {
                    total += transfer.write(srcs[i], position + total, options.append());
                }
                done = true;
            } catch (IllegalStateException e) {
                rethrowUnlessClosed(e);
            } finally {
                end(done && isOpen());
            }
            position = options.append() ? transfer.size() : position + total;
            return total;
        } finally {
            positionLock.unlock();
        }
    }

    // ---- position, size, truncate, force --------------------------------------------------

    @Override
    public long position() throws IOException {
        ensureOpen();
        if (options.append()) {
            return transfer.size();
        }
        positionLock.lock();
        try {
            return position;
        } finally {
            positionLock.unlock();
        }
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        if (newPosition < 0) {
            throw new IllegalArgumentException("position " + newPosition + ": must be >= 0");
        }
        ensureOpen();
        positionLock.lock();
        try {
            position = newPosition;
            return this;
        } finally {
            positionLock.unlock();
        }
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return transfer.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("truncate(" + size + "): size must be >= 0");
        }
        ensureOpen();
        if (!options.writable()) {
            throw new NonWritableChannelException();
        }
        positionLock.lock();
        try {
            boolean done = false;
            try {
                begin();
                transfer.truncate(size);
                done = true;
            } catch (IllegalStateException e) {
                rethrowUnlessClosed(e);
            } finally {
                end(done && isOpen());
            }
            if (position > size) {
                position = size;
            }
            return this;
        } finally {
            positionLock.unlock();
        }
    }

    @Override
    public void force(boolean metaData) throws IOException {
        ensureOpen();
        boolean done = false;
        try {
            begin();
            CompletableFuture<Long> sync = metaData ? file.fsync() : file.fdatasync();
            join(sync);
            done = true;
        } catch (IllegalStateException e) {
            rethrowUnlessClosed(e);
        } finally {
            end(done && isOpen());
        }
    }

    private static void join(CompletableFuture<Long> f) throws IOException {
        try {
            f.join(); // uninterruptible: an interrupt has already closed the channel, and end() reports it
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }

    // ---- transfers -----------------------------------------------------------------------

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException("transferTo(position " + position + ", count " + count
                    + "): both must be >= 0");
        }
        ensureOpen();
        if (!target.isOpen()) {
            throw new ClosedChannelException();
        }
        if (!options.readable()) {
            throw new NonReadableChannelException();
        }
        if (position > size()) {
            return 0;
        }
        return pump(position, count, (buf, at) -> read(buf, at), (buf, at) -> target.write(buf));
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException("transferFrom(position " + position + ", count " + count
                    + "): both must be >= 0");
        }
        ensureOpen();
        if (!src.isOpen()) {
            throw new ClosedChannelException();
        }
        if (!options.writable()) {
            throw new NonWritableChannelException();
        }
        if (position > size()) {
            return 0;
        }
        return pump(position, count, (buf, at) -> src.read(buf), (buf, at) -> write(buf, at));
    }

    /** One step of {@link #pump}: a read into, or a write from, the chunk, for file position {@code at}. */
    @FunctionalInterface
    private interface ChunkStep {
        int apply(ByteBuffer chunk, long at) throws IOException;
    }

    /**
     * Moves up to {@code count} bytes through one pooled chunk: {@code fill} until it gives
     * nothing, {@code drain} after each fill until a drain takes less than was filled (a
     * non-blocking target). Each step is told this file's position for the bytes moved so far.
     */
    private long pump(long position, long count, ChunkStep fill, ChunkStep drain) throws IOException {
        MemorySegment chunk = buffers.takeFor(file, AlignedTransfer.CHUNK_BYTES);
        try {
            ByteBuffer buf = chunk.asByteBuffer();
            long moved = 0;
            while (moved < count) {
                buf.clear().limit((int) Math.min(buf.capacity(), count - moved));
                int n = fill.apply(buf, position + moved);
                if (n <= 0) {
                    break;
                }
                buf.flip();
                int taken = drain.apply(buf, position + moved);
                moved += taken;
                if (taken < n) {
                    break; // a non-blocking target took less
                }
            }
            return moved;
        } finally {
            buffers.give(chunk);
        }
    }

    // ---- not supported -------------------------------------------------------------------

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
        throw new UnsupportedOperationException("map: a dioring channel does direct I/O and has no mapping; "
                + "open a JDK FileChannel on " + file.path() + " to map it");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("lock: not supported by a dioring channel (POSIX locks taken "
                + "through another descriptor of " + file.path() + " would not keep FileChannel's semantics)");
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("tryLock: not supported by a dioring channel (POSIX locks taken "
                + "through another descriptor of " + file.path() + " would not keep FileChannel's semantics)");
    }

    // ---- close ---------------------------------------------------------------------------

    @Override
    protected void implCloseChannel() throws IOException {
        file.close(); // waits for every I/O in flight: the kernel may still be writing a caller's buffer
        if (options.deleteOnClose()) {
            Files.deleteIfExists(file.path());
        }
    }

    // ---- checks --------------------------------------------------------------------------

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    private void checkReadable(ByteBuffer dst) throws ClosedChannelException {
        Objects.requireNonNull(dst, "buffer");
        ensureOpen();
        if (!options.readable()) {
            throw new NonReadableChannelException();
        }
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("read into a read-only buffer");
        }
    }

    private void checkWritable(ByteBuffer src) throws ClosedChannelException {
        Objects.requireNonNull(src, "buffer");
        ensureOpen();
        if (!options.writable()) {
            throw new NonWritableChannelException();
        }
    }

    /**
     * DirectFile throws IllegalStateException for a request after close. If this channel
     * was closed meanwhile, that is the asynchronous close end() reports; otherwise it is
     * a bug (or the engine was closed under the channel) and goes to the caller.
     */
    private void rethrowUnlessClosed(IllegalStateException e) {
        if (isOpen()) {
            throw e;
        }
    }

    @Override
    public String toString() {
        return "DirectFileChannel[" + file.path() + (isOpen() ? "" : ", closed") + "]";
    }
}
