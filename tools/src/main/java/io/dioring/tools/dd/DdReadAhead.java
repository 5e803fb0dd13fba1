package io.dioring.tools.dd;

import static io.dioring.tools.dd.DdOptions.C_NOERROR;
import static io.dioring.tools.dd.DdOptions.C_SYNC;
import static io.dioring.tools.dd.DdOptions.F_DIRECT;
import static io.dioring.tools.dd.DdOptions.STATUS_NONE;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * dd's reads ({@code iread}, {@code iread_fullblock}), submitted ahead of the copy loop up to
 * the read depth and completed in submission order. Reads ahead are at the offsets a
 * sequence of full records would have; anything that is not a full record (short read,
 * error, EOF) discards the reads ahead and resumes sequentially from the true offset, so the
 * accounting is exactly dd's.
 */
final class DdReadAhead {
    private record Read(MemorySegment buffer, long offset, long length) {}

    private final DdOptions o;
    private final DdStats stats;
    private final DdBuffers buffers;
    private final DdSource source;
    /** Frees a buffer when every one is waiting to be written, and goes first before a message. */
    private final DdWriteBehind writes;
    private final DdInput in;
    private final int depth;
    private final ArrayDeque<Read> reads = new ArrayDeque<>();
    /** Offset and record index of the next read to submit ahead. */
    private long aheadOffset;
    private long aheadIndex;

    private boolean warnPartialRead;
    private long prevNread;
    /** The error of the last read that failed. */
    private DdIoException readError;
    /** The buffer {@link #readRecord} read into. */
    private MemorySegment current;

    DdReadAhead(DdOptions o, DdStats stats, DdBuffers buffers, DdSource source, DdWriteBehind writes, int depth) {
        this.o = o;
        this.stats = stats;
        this.buffers = buffers;
        this.source = source;
        this.writes = writes;
        this.in = source.in;
        this.depth = depth;
        this.warnPartialRead = o.warnPartialRead;
    }

    /** The error of the last read that returned -1. */
    DdIoException readError() {
        return readError;
    }

    /** The buffer the last {@link #readRecord} filled; the caller owns it now. */
    MemorySegment current() {
        return current;
    }

    private long totalReads() {
        return o.maxBytes != 0 && o.maxRecords != Long.MAX_VALUE ? o.maxRecords + 1 : o.maxRecords;
    }

    private long lengthOfRecord(long index) {
        return index >= o.maxRecords ? o.maxBytes : o.inputBlocksize;
    }

    /** Submits reads ahead while buffers and the depth allow; at least one if none is in flight. */
    private void fill() throws DdExit, DdWriteBehind.WriteFailed {
        if (reads.isEmpty()) {
            aheadIndex = stats.recordsIn();
            aheadOffset = source.offset();
        }
        long total = totalReads();
        while (reads.size() < depth && aheadIndex < total) {
            MemorySegment b = buffers.takeInput();
            if (b == null) {
                if (!reads.isEmpty()) {
                    return;
                }
                writes.awaitOldest(); // frees the buffer of the oldest block being written
                continue;
            }
            long len = lengthOfRecord(aheadIndex);
            if (o.conv(C_SYNC) && o.conv(C_NOERROR)) {
                b.fill(DdConversions.padding(o.conversions));
            }
            MemorySegment dst = b.asSlice(0, len);
            in.submitRead(aheadOffset, dst);
            reads.add(new Read(b, aheadOffset, len));
            aheadOffset += len;
            aheadIndex++;
        }
    }

    /** Awaits and drops every read in flight (their offsets are no longer right). */
    void discard() {
        while (!reads.isEmpty()) {
            Read r = reads.poll();
            try {
                in.awaitRead();
            } catch (DdIoException ignored) {
                // speculative
            }
            buffers.giveBack(r.buffer(), true);
        }
    }

    /**
     * iread: one read call's outcome, with dd's treatment of EINVAL after a short direct read
     * and its partial-read warning; -1 for an error ({@link #readError()}).
     */
    private long outcome(long size, long n, DdIoException e) throws DdWriteBehind.WriteFailed {
        if (e != null && e.errno() == DdErrno.EINVAL && 0 < prevNread && prevNread < size
                && (o.inputFlags & F_DIRECT) != 0) {
            e = null;
            n = 0;
        }
        readError = e;
        if (e != null) {
            n = -1;
        }
        if (0 < n && warnPartialRead) {
            if (0 < prevNread && prevNread < size) {
                if (o.status != STATUS_NONE) {
                    writes.drain();
                    stats.error("warning: partial read (" + prevNread + (prevNread == 1 ? " byte" : " bytes")
                            + "); suggest iflag=fullblock");
                }
                warnPartialRead = false;
            }
        }
        prevNread = n;
        return n;
    }

    /** A synchronous read of {@code dst} at {@code offset} (no reads ahead in flight). */
    private long readNow(long offset, MemorySegment dst) throws DdWriteBehind.WriteFailed {
        in.submitRead(offset, dst);
        long n = 0;
        DdIoException e = null;
        try {
            n = in.awaitRead();
        } catch (DdIoException ex) {
            e = ex;
        }
        return outcome(dst.byteSize(), n, e);
    }

    /** iread_fnc on a sequential input at dd's input offset (skip reads and discards). */
    long readSequential(MemorySegment dst) throws DdWriteBehind.WriteFailed {
        long offset = source.offset();
        if (!o.fullblock) {
            return readNow(offset, dst);
        }
        long total = 0;
        while (total < dst.byteSize()) {
            long c = readNow(offset + total, dst.asSlice(total));
            if (c < 0) {
                return c;
            }
            if (c == 0) {
                break;
            }
            total += c;
        }
        return total;
    }

    /** iread_fnc (iread or iread_fullblock) for the next record, into {@link #current()}. */
    long readRecord(long len) throws DdExit, DdWriteBehind.WriteFailed {
        fill();
        Read r = reads.poll();
        current = r.buffer();
        long n = 0;
        DdIoException e = null;
        try {
            n = in.awaitRead();
        } catch (DdIoException ex) {
            e = ex;
        }
        if (r.length() != len) {
            throw new IllegalStateException("read ahead out of step: " + r.length() + " != " + len);
        }
        n = outcome(len, n, e);
        if (n != len) {
            discard();
        }
        if (o.fullblock && 0 < n && n < len) {
            long total = n;
            while (total < len) {
                long c = readNow(r.offset() + total, current.asSlice(total, len - total));
                if (c < 0) {
                    return -1;
                }
                if (c == 0) {
                    break;
                }
                total += c;
            }
            n = total;
        }
        return n;
    }
}
