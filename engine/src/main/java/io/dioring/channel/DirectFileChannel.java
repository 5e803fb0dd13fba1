package io.dioring.channel;

import io.dioring.DirectFile;
import io.dioring.IoBuffers;
import io.dioring.DirectIoPolicy;
import io.dioring.ffi.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.FileLockInterruptionException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link FileChannel} over a {@link DirectFile}: blocking reads and writes go through
 * the engine's rings (a virtual thread waiting for one unmounts; no carrier is pinned),
 * with O_DIRECT where the file has it. Obtained from {@code IoEngine.openChannel}.
 *
 * <h2>What works</h2>
 * Positional and relative {@code read}/{@code write}, scattering and gathering,
 * {@code position}, {@code size} (fstat: every writer's bytes count), {@code truncate}
 * (never grows; the position is clamped), {@code force} (fsync / fdatasync),
 * {@code transferTo}/{@code transferFrom} (a copy loop through an aligned buffer, with the
 * JDK's edge cases: see {@link ChannelTransfers}), {@link #map} (through a platform channel
 * on the same open file), {@link #lock}/{@link #tryLock} (open-file-description locks on
 * this channel's descriptor: see {@link OfdLock}), {@code isOpen}/{@code close}, with the
 * JDK's results: -1 at or beyond the end of file, 0 for a buffer without room. Options:
 * READ, WRITE, APPEND (O_APPEND, buffered: the kernel writes at the end, across channels
 * and processes), CREATE, CREATE_NEW, TRUNCATE_EXISTING, DELETE_ON_CLOSE, DSYNC, SYNC,
 * NOFOLLOW_LINKS, SPARSE (ignored, as on Linux), ExtendedOpenOption.DIRECT (REQUIRED) and a
 * {@link io.dioring.DirectIoPolicy} (default REQUIRED for {@code IoEngine.openChannel}). A
 * writable O_DIRECT channel opens the file for reading too (a write covering part of an
 * alignment unit reads that unit back first).
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
 * An interrupted transfer closes both of its channels, as the JDK's.
 */
public final class DirectFileChannel extends InterruptibleFileChannel {
    private final DirectFile file;
    private final int fd;
    private final AlignedTransfer transfer;
    private final EndOfFileWrite endOfFileWrite;
    private final OfdLock.Table locks = new OfdLock.Table();
    private final IoBuffers buffers;
    private final ChannelOptions options;
    private final ReentrantLock positionLock = new ReentrantLock();
    private long position; // guarded by positionLock
    /** The blocking transfers of one buffer, made once: a call allocates nothing for them. */
    private final Io readAt;
    private final Io writeAt;
    private final Io writeHere;

    private DirectFileChannel(DirectFile file, int fd, IoBuffers buffers, ChannelOptions options) {
        this.file = file;
        this.fd = fd;
        this.buffers = buffers;
        this.options = options;
        this.endOfFileWrite = new EndOfFileWrite(file, fd);
        this.transfer = new AlignedTransfer(file, buffers, endOfFileWrite);
        this.readAt = transfer::read;
        this.writeAt = (src, at) -> transfer.write(src, at, false);
        this.writeHere = (src, at) -> transfer.write(src, at, options.append());
    }

    /**
     * Opens {@code path} on {@code engine} with {@link FileChannel#open}'s options (O_DIRECT
     * unless a {@link io.dioring.DirectIoPolicy} says otherwise).
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist (and is not created)
     * @throws java.nio.file.FileAlreadyExistsException for CREATE_NEW on an existing file
     * @throws UnsupportedOperationException for an option the channel does not support
     */
    public static FileChannel open(ChannelEngine engine, Path path, OpenOption... options) throws IOException {
        return open(engine, path, Arrays.asList(options), DirectIoPolicy.REQUIRED, 0666);
    }

    /**
     * Opens {@code path} with {@code options}, {@code defaultPolicy} when they name no
     * {@link io.dioring.DirectIoPolicy} (nor ExtendedOpenOption.DIRECT, which means REQUIRED),
     * creating the file with permission bits {@code mode} (less the umask).
     */
    public static FileChannel open(ChannelEngine engine, Path path, Iterable<? extends OpenOption> options,
            DirectIoPolicy defaultPolicy, int mode) throws IOException {
        Objects.requireNonNull(engine, "engine");
        ChannelOptions parsed = ChannelOptions.parse(path, defaultPolicy, options);
        FileOpener.Opened opened = FileOpener.open(engine, path, parsed, mode);
        try {
            return new DirectFileChannel(opened.file(), opened.fd(), engine.buffers(), parsed);
        } catch (RuntimeException e) {
            opened.file().close();
            Libc.close(opened.fd());
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
            int n = (int) interruptibly(readAt, dst, position);
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
        return (int) interruptibly(readAt, dst, position);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        for (int i = offset; i < offset + length; i++) {
            checkReadable(dsts[i]);
        }
        positionLock.lock();
        try {
            long n = interruptibly((none, at) -> Vectored.read(transfer, dsts, offset, length, at), null, position);
            position += Math.max(n, 0);
            return n;
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
            int n = (int) interruptibly(writeHere, src, position);
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
        return (int) interruptibly(writeAt, src, position);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        for (int i = offset; i < offset + length; i++) {
            checkWritable(srcs[i]);
        }
        positionLock.lock();
        try {
            long total = interruptibly((none, at) -> Vectored.write(transfer, srcs, offset, length, at, options.append()),
                    null, position);
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
            interruptibly((none, at) -> {
                transfer.truncate(at);
                return 0;
            }, null, size);
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
        interruptibly((none, at) -> {
            join(metaData ? file.fsync() : file.fdatasync());
            return 0;
        }, null, 0);
    }

    // ---- transfers, mapping, locks ------------------------------------------------------

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return ChannelTransfers.transferTo(this, file, buffers, options.readable(), position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return ChannelTransfers.transferFrom(this, file, buffers, options.writable(), options.append(), src,
                position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        ensureOpen();
        ChannelMapping.check(mode, options, file.isDirect());
        try (FileChannel platform = ChannelMapping.platformChannel(fd, mode)) {
            return platform.map(mode, position, size);
        }
    }

    @Override
    public MemorySegment map(MapMode mode, long offset, long size, Arena arena) throws IOException {
        ensureOpen();
        ChannelMapping.check(mode, options, file.isDirect());
        try (FileChannel platform = ChannelMapping.platformChannel(fd, mode)) {
            return platform.map(mode, offset, size, arena);
        }
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        boolean lockShared = checkLockable(shared);
        try {
            boolean granted = false;
            try {
                begin(); // an interrupt while waiting closes the channel, as the JDK's
                FileLock lock = locks.lock(this, fd, position, size, lockShared, true);
                granted = true;
                return lock;
            } finally {
                if (!granted && Thread.currentThread().isInterrupted()) {
                    // The waiter saw the interrupt flag, which Thread.interrupt sets before it
                    // closes the channel: close it here as begin() does, so that end() reports
                    // the interrupt (not a bare ClosedChannelException, channel left open).
                    begin();
                }
                end(granted);
            }
        } catch (ClosedByInterruptException e) {
            throw new FileLockInterruptionException();
        }
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return locks.lock(this, fd, position, size, checkLockable(shared), false);
    }

    private boolean checkLockable(boolean shared) throws ClosedChannelException {
        ensureOpen();
        if (shared && !options.readable()) {
            throw new NonReadableChannelException();
        }
        if (!shared && !options.writable()) {
            throw new NonWritableChannelException();
        }
        return shared;
    }

    // ---- close ---------------------------------------------------------------------------

    @Override
    protected void implCloseChannel() throws IOException {
        file.close(); // waits for every I/O in flight: the kernel may still be writing a caller's buffer
        endOfFileWrite.close();
        locks.invalidateAll();
        Libc.close(fd); // drops this channel's OFD locks with its open file description
        if (options.deleteOnClose()) {
            Files.deleteIfExists(file.path());
        }
    }

    // ---- checks --------------------------------------------------------------------------

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

    @Override
    public String toString() {
        return "DirectFileChannel[" + file.path() + (isOpen() ? "" : ", closed") + "]";
    }
}
