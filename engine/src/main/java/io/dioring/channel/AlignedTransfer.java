package io.dioring.channel;

import io.dioring.DirectFile;
import io.dioring.IoBuffers;
import io.dioring.file.FileProbe;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.StampedLock;

/**
 * Moves bytes between {@link ByteBuffer}s at any position and length and a
 * {@link DirectFile} at any offset.
 *
 * <h2>Two paths</h2>
 * A direct buffer whose address is a multiple of the file's memory alignment, at an
 * offset and of a length that are multiples of its offset alignment, goes to the kernel
 * as it is: the buffer's own memory, no copy. Everything else (heap buffers, unaligned
 * addresses, offsets or lengths) is copied through an aligned bounce buffer covering the
 * aligned span around the request, in chunks of at most {@link #CHUNK_BYTES}: on a buffered
 * file, from the lock-free {@link BounceStash} for spans it fits; otherwise from the engine's
 * pool ({@code IoBuffers.take}/{@code give}), whose buffers are registered with the rings.
 * A heap buffer is read into through its array, with no segment made over it.
 * A write that covers only part of its first or last alignment unit reads those units
 * first and writes them back whole (read-modify-write); where the last unit straddles the
 * end of the file, its bytes up to the logical end go out buffered ({@link EndOfFileWrite}).
 *
 * <h2>Locking</h2>
 * One {@link StampedLock} per channel. Read-modify-write writes, appends and truncation
 * hold it exclusively: a read-modify-write must not interleave with any other write to the
 * same units (it would write back stale bytes). Every other write
 * holds it shared. Reads take no lock: they read under an optimistic stamp and read again,
 * under the shared lock, only if an exclusive holder ran meanwhile, so a reader never
 * sees the transient tail. This is correctness first: read-modify-write writes are
 * serialized against every write of the channel, not only overlapping ones.
 *
 * <p>The lock is the channel's: other channels or processes writing the same file are not
 * ordered against its read-modify-writes. {@link #size()} is the file's size as fstat(2)
 * gives it, so it sees every writer.
 *
 * <h2>Appends</h2>
 * An APPEND channel's descriptor has O_APPEND (and never O_DIRECT): the kernel puts each
 * write at the file's end as it is when the write is made, across channels and processes.
 * {@link #append} writes in pieces of at most the file's largest single I/O, one after the
 * other (the engine would otherwise split a larger write into slices that could land in
 * any order), under the exclusive lock so the channel's own appends keep their order.
 */
final class AlignedTransfer {
    private final DirectFile file;
    private final EndOfFileWrite endOfFileWrite;
    /** Most bytes one bounce buffer carries: larger requests go through in chunks of this. */
    static final int CHUNK_BYTES = 1 << 20;
    /** The engine's buffer pool: bounce buffers are taken from it and given back. */
    private final IoBuffers buffers;
    private final StampedLock lock = new StampedLock();
    private final long offsetMask;
    private final long memoryMask;
    private final int unit;
    /** Whether bounce buffers that fit come from the {@link BounceStash}: for a buffered file (see there). */
    private final boolean stashes;

    AlignedTransfer(DirectFile file, IoBuffers buffers, EndOfFileWrite endOfFileWrite) {
        this.file = file;
        this.endOfFileWrite = endOfFileWrite;
        this.buffers = buffers;
        this.unit = file.offsetAlignment();
        this.stashes = !file.isDirect();
        if (Integer.bitCount(unit) != 1 || Integer.bitCount(file.memoryAlignment()) != 1 || unit > CHUNK_BYTES) {
            throw new IllegalStateException(file.path() + ": alignment offset " + unit + " / memory "
                    + file.memoryAlignment() + " must be powers of two, offset at most " + CHUNK_BYTES);
        }
        this.offsetMask = unit - 1;
        this.memoryMask = file.memoryAlignment() - 1;
    }

    /**
     * Reads into {@code dst} from {@code position} on and advances its position by the
     * bytes read.
     *
     * @return bytes read; 0 if {@code dst} has no room; -1 at or beyond end of file
     */
    int read(ByteBuffer dst, long position) throws IOException {
        int length = dst.remaining();
        if (length == 0) {
            return 0;
        }
        // A heap buffer is copied into by array: no segment over it (MemorySegment.ofBuffer
        // allocates, and Lucene's readers each read into a buffer of their own).
        MemorySegment target = dst.isDirect() || !dst.hasArray() ? BufferViews.remaining(dst) : null;
        long n = -1;
        long stamp = lock.tryOptimisticRead();
        if (stamp != 0) {
            n = readOnce(target, dst, position, length);
            if (!lock.validate(stamp)) {
                n = -1;
            }
        }
        if (n < 0) {
            stamp = lock.readLock();
            try {
                n = readOnce(target, dst, position, length);
            } finally {
                lock.unlockRead(stamp);
            }
        }
        if (n == 0) {
            return -1;
        }
        dst.position(dst.position() + (int) n);
        return (int) n;
    }

    /** One read into {@code target} (a direct {@code dst}'s remaining bytes) or, when null, into heap {@code dst}'s array. */
    private long readOnce(MemorySegment target, ByteBuffer dst, long position, int length) throws IOException {
        if (target != null && goesDirect(target, position, length)) {
            return file.readFully(position, target);
        }
        return readBounced(target, dst, position, length);
    }

    private long readBounced(MemorySegment target, ByteBuffer dst, long position, int length) throws IOException {
        long end = position + length;
        long done = 0;
        while (done < length) {
            long from = position + done;
            long spanStart = from & ~offsetMask;
            long spanEnd = Math.min(alignUp(end), spanStart + CHUNK_BYTES);
            int span = (int) (spanEnd - spanStart);
            boolean stashed = stashes && span <= BounceStash.BYTES;
            BounceStash stash = stashed ? BounceStash.take() : null;
            MemorySegment bounce = stashed ? stash.slice(span) : buffers.takeFor(file, span); // exactly span bytes
            try {
                long n = file.readFully(spanStart, bounce);
                long available = spanStart + n - from;
                if (available <= 0) {
                    break;
                }
                long copied = Math.min(available, end - from);
                if (target != null) {
                    MemorySegment.copy(bounce, from - spanStart, target, done, copied);
                } else {
                    MemorySegment.copy(bounce, ValueLayout.JAVA_BYTE, from - spanStart, dst.array(),
                            dst.arrayOffset() + dst.position() + (int) done, (int) copied);
                }
                done += copied;
                if (n < span) {
                    break; // end of file
                }
            } finally {
                if (stashed) {
                    BounceStash.give(stash);
                } else {
                    buffers.give(bounce);
                }
            }
        }
        return done;
    }

    /**
     * Writes all of {@code src} at {@code position}, or at the end of the file when
     * {@code append}, and advances its position.
     *
     * @return bytes written ({@code src.remaining()} on entry)
     */
    int write(ByteBuffer src, long position, boolean append) throws IOException {
        int length = src.remaining();
        if (length == 0) {
            return 0;
        }
        MemorySegment source = BufferViews.remaining(src);
        if (append) {
            append(source, length);
        } else if (goesDirect(source, position, length)) {
            long stamp = lock.readLock();
            try {
                file.writeFully(position, source);
            } finally {
                lock.unlockRead(stamp);
            }
        } else {
            boolean exclusive = !isAligned(position) || !isAligned(length);
            long stamp = exclusive ? lock.writeLock() : lock.readLock();
            try {
                if (goesDirect(source, position, length)) {
                    file.writeFully(position, source);
                } else {
                    writeBounced(source, position, length);
                }
            } finally {
                lock.unlock(stamp);
            }
        }
        src.position(src.position() + length);
        return length;
    }

    /** Writes {@code source} at the file's end through the O_APPEND descriptor (see the class comment). */
    private void append(MemorySegment source, int length) throws IOException {
        assert !file.isDirect() : "an APPEND channel is buffered";
        long stamp = lock.writeLock();
        try {
            int piece = (int) Math.min(CHUNK_BYTES, file.maxIoBytes());
            MemorySegment bounce = source.isNative() ? null : buffers.takeFor(file, Math.min(piece, length));
            try {
                for (long done = 0; done < length; ) {
                    int n = (int) Math.min(piece, length - done);
                    MemorySegment part = source.asSlice(done, n);
                    if (bounce != null) {
                        MemorySegment.copy(part, 0, bounce, 0, n);
                        part = bounce.asSlice(0, n);
                    }
                    long end = FileProbe.size(fd());
                    file.writeFully(Math.max(0, end), part); // O_APPEND: the kernel writes at the end whatever the offset
                    done += n;
                }
            } finally {
                if (bounce != null) {
                    buffers.give(bounce);
                }
            }
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private int fd() {
        return file.fd();
    }

    private void writeBounced(MemorySegment source, long position, int length) throws IOException {
        long end = position + length;
        long done = 0;
        while (done < length) {
            long from = position + done;
            long spanStart = from & ~offsetMask;
            long spanEnd = Math.min(alignUp(end), spanStart + CHUNK_BYTES);
            long to = Math.min(end, spanEnd);
            int span = (int) (spanEnd - spanStart);
            boolean stashed = stashes && span <= BounceStash.BYTES;
            BounceStash stash = stashed ? BounceStash.take() : null;
            MemorySegment bounce = stashed ? stash.slice(span) : buffers.takeFor(file, span); // exactly span bytes
            try {
                long endOfFile = readPartialUnits(bounce, spanStart, spanEnd, from, to);
                MemorySegment.copy(source, done, bounce, from - spanStart, to - from);
                long logicalEnd = endOfFile >= 0 ? Math.max(endOfFile, to) : spanEnd;
                if (logicalEnd < spanEnd) {
                    endOfFileWrite.write(bounce, spanStart, logicalEnd, unit); // never past the logical end
                } else {
                    file.writeFully(spanStart, bounce);
                }
            } finally {
                if (stashed) {
                    BounceStash.give(stash);
                } else {
                    buffers.give(bounce);
                }
            }
            done += to - from;
        }
    }

    /**
     * Fills the first and last units of {@code [spanStart, spanEnd)} that the bytes
     * {@code [from, to)} cover only in part with the file's current bytes (zeros beyond its
     * end).
     *
     * @return the end of the file if a unit read found it, else -1 (the file reaches
     *         {@code spanEnd} or beyond, or no unit was read)
     */
    private long readPartialUnits(MemorySegment bounce, long spanStart, long spanEnd, long from, long to)
            throws IOException {
        long endOfFile = -1;
        boolean headPartial = from != spanStart;
        boolean tailPartial = to != spanEnd;
        if (headPartial) {
            endOfFile = readUnit(bounce, spanStart, spanStart);
        }
        long lastUnit = spanEnd - unit;
        if (tailPartial && (lastUnit != spanStart || !headPartial)) {
            long tailEnd = readUnit(bounce, spanStart, lastUnit);
            if (tailEnd >= 0) {
                endOfFile = tailEnd;
            }
        }
        return endOfFile;
    }

    /** Reads the unit at {@code offset} into its place in the bounce buffer; returns the end of file if inside it, else -1. */
    private long readUnit(MemorySegment bounce, long spanStart, long offset) throws IOException {
        MemorySegment unitSlice = bounce.asSlice(offset - spanStart, unit);
        long n = file.readFully(offset, unitSlice);
        if (n < unit) {
            unitSlice.asSlice(n).fill((byte) 0);
            return offset + n;
        }
        return -1;
    }

    /** The file's size (fstat), never the transient length of this channel's read-modify-write. */
    long size() throws IOException {
        long stamp = lock.tryOptimisticRead();
        long size = fstatSize();
        if (stamp != 0 && lock.validate(stamp)) {
            return size;
        }
        stamp = lock.readLock();
        try {
            return fstatSize();
        } finally {
            lock.unlockRead(stamp);
        }
    }

    private long fstatSize() throws IOException {
        long size = FileProbe.size(fd());
        if (size < 0) {
            throw new io.dioring.DirectIoException((int) -size, "fstat", file.path(), 0, 0);
        }
        return size;
    }

    /** Cuts the file to {@code newSize} if it is longer (never grows it, as FileChannel.truncate). */
    void truncate(long newSize) throws IOException {
        long stamp = lock.writeLock();
        try {
            if (newSize < fstatSize()) {
                file.truncate(newSize);
            }
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private boolean goesDirect(MemorySegment buffer, long position, long length) {
        return buffer.isNative() && (buffer.address() & memoryMask) == 0
                && isAligned(position) && isAligned(length);
    }

    private boolean isAligned(long value) {
        return (value & offsetMask) == 0;
    }

    private long alignUp(long value) {
        return (value + offsetMask) & ~offsetMask;
    }
}
