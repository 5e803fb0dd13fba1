package io.dioring.tools.dd;

import static io.dioring.tools.dd.DdOptions.C_FDATASYNC;
import static io.dioring.tools.dd.DdOptions.C_FSYNC;
import static io.dioring.tools.dd.DdOptions.C_NOERROR;
import static io.dioring.tools.dd.DdOptions.C_NOTRUNC;
import static io.dioring.tools.dd.DdOptions.C_SYNC;
import static io.dioring.tools.dd.DdOptions.C_TWOBUFS;
import static io.dioring.tools.dd.DdOptions.STATUS_NONE;

import io.dioring.tools.dd.DdWriteBehind.Kind;
import io.dioring.tools.dd.DdWriteBehind.WriteFailed;
import java.lang.foreign.MemorySegment;

/**
 * GNU dd's {@code dd_copy} with {@code skip} and {@code process_signals}: skip and seek,
 * then records in, converted or not, out, in dd's sequential order. Reads come from the
 * {@link DdReadAhead} and writes go to the {@link DdWriteBehind}; before anything becomes
 * visible (a message, the statistics, the end) the writes in flight are drained.
 */
final class DdCopyLoop {
    private final DdOptions o;
    private final DdStats stats;
    private final DdBuffers buffers;
    private final DdSource source;
    private final DdReadAhead reads;
    private final DdWriteBehind writes;
    private final DdSignals signals;
    /** swab, block/unblock and the translations; null if the bytes go out as read. */
    private final DdConversions converter;
    /** conv=sparse; null without it. */
    private final DdSparse sparse;
    private final DdConversions.Sink<DdExit, WriteFailed> toOutputBuffer = this::copySimple;

    /** The output block being filled (conv=twobufs: obs differs from ibs, or conversions). */
    private MemorySegment obuf;
    private long oc;

    DdCopyLoop(DdOptions o, DdStats stats, DdBuffers buffers, DdSource source, DdReadAhead reads,
            DdWriteBehind writes, DdSignals signals, DdConversions converter, DdSparse sparse) {
        this.o = o;
        this.stats = stats;
        this.buffers = buffers;
        this.source = source;
        this.reads = reads;
        this.writes = writes;
        this.signals = signals;
        this.converter = converter;
        this.sparse = sparse;
    }

    /** dd_copy: the exit status; {@link DdExit} where dd quits. */
    int run() throws DdExit {
        try {
            return copy();
        } catch (WriteFailed f) {
            reads.discard();
            if (f.kind == Kind.OBS) {
                throw new DdExit(DdExit.FAILURE); // write_output: quit(EXIT_FAILURE)
            }
            return DdExit.FAILURE;
        }
    }

    private int copy() throws DdExit, WriteFailed {
        int exitStatus = DdExit.SUCCESS;
        long partread = 0;

        if (o.skipRecords != 0 || o.skipBytes != 0) {
            long usBytes = 0;
            boolean usOverflow = false;
            try {
                usBytes = Math.addExact(Math.multiplyExact(o.skipRecords, o.inputBlocksize), o.skipBytes);
            } catch (ArithmeticException e) {
                usOverflow = true;
            }
            long inputOffset0 = source.offset();
            long[] bytes = {o.skipBytes};
            long usBlocks = skipInput(o.skipRecords, bytes);
            long inputOffset = source.offset();
            if ((usBlocks != 0 || (0 <= inputOffset && (usOverflow || usBytes != inputOffset - inputOffset0)))
                    && o.status != STATUS_NONE) {
                stats.error(DdText.quoteIfNeeded(source.name) + ": cannot skip to specified offset");
            }
        }

        if (o.seekRecords != 0 || o.seekBytes != 0) {
            seekOutput(o.seekRecords, o.seekBytes);
        }

        if (o.maxRecords == 0 && o.maxBytes == 0) {
            return exitStatus;
        }

        boolean twobufs = o.conv(C_TWOBUFS);
        if (twobufs) {
            obuf = writes.takeOutputBuffer();
        }
        long ibs = o.inputBlocksize;
        long recordsLimit = o.maxRecords == Long.MAX_VALUE ? Long.MAX_VALUE
                : o.maxRecords + (o.maxBytes != 0 ? 1 : 0);

        while (true) {
            processSignals();
            stats.progress();
            if (stats.recordsIn() >= recordsLimit) {
                break;
            }
            long len = (stats.recordsIn() >= o.maxRecords) ? o.maxBytes : ibs;
            long n = reads.readRecord(len);
            MemorySegment buf = reads.current();

            if (n > 0) {
                source.advance(n);
                if (o.inputNocache) {
                    source.invalidateCache(n);
                }
            } else if (n == 0) {
                if (o.inputNocache) {
                    source.dropCacheToEndOfFile();
                }
                if (o.outputNocache && !o.conv(C_NOTRUNC)) {
                    writes.dropCacheToEndOfFile();
                }
                buffers.giveBack(buf, true);
                break;
            } else {
                writes.drain(); // the messages and statistics below come after earlier writes
                if (!o.conv(C_NOERROR) || o.status != STATUS_NONE) {
                    stats.error("error reading " + DdText.quoteAlways(source.name), reads.readError());
                }
                if (o.conv(C_NOERROR)) {
                    stats.printStats();
                    long badPortion = ibs - partread;
                    if (o.inputNocache) {
                        source.invalidateCache(badPortion); // keeps the offsets right, as GNU does
                    }
                    if (!source.advanceAfterReadError(badPortion)) {
                        exitStatus = DdExit.FAILURE;
                        source.seekingFailed();
                    }
                    if (o.conv(C_SYNC) && partread == 0) {
                        n = 0; // the buffer was zeroed before the read
                    } else {
                        buffers.giveBack(buf, true);
                        continue;
                    }
                } else {
                    exitStatus = DdExit.FAILURE;
                    buffers.giveBack(buf, true);
                    break;
                }
            }

            long nBytes = n;
            if (nBytes < ibs) {
                stats.partialRecordIn();
                partread = nBytes;
                if (o.conv(C_SYNC)) {
                    if (!o.conv(C_NOERROR)) {
                        buf.asSlice(nBytes, ibs - nBytes).fill(DdConversions.padding(o.conversions));
                    }
                    nBytes = ibs;
                }
            } else {
                stats.fullRecordIn();
                partread = 0;
            }

            if (!twobufs) {
                writes.submit(buf, true, nBytes, Kind.BLOCK);
                continue;
            }
            if (converter != null) {
                converter.convert(buf, nBytes, toOutputBuffer);
            } else {
                copySimple(buf, nBytes);
            }
            buffers.giveBack(buf, true);
        }

        if (converter != null) {
            converter.finish(toOutputBuffer);
        }
        if (twobufs && oc != 0) {
            writes.submit(obuf, false, oc, Kind.FINAL);
            obuf = null;
        }
        writes.drain();
        reads.discard();

        DdSparse.Failure extend = sparse == null ? null
                : sparse.extendAfterFinalSeek(writes.out, DdText.quoteAlways(writes.name));
        if (extend != null) {
            stats.error(extend.message(), extend.cause());
            return DdExit.FAILURE;
        }

        if (o.conv(C_FDATASYNC | C_FSYNC) || writes.fsyncAdded()) {
            stats.progressBeforeSync();
        }
        return exitStatus;
    }

    /** write_output: the full output buffer goes out; a new one takes its place. */
    private void writeOutput() throws DdExit, WriteFailed {
        writes.submit(obuf, false, o.outputBlocksize, Kind.OBS);
        obuf = writes.takeOutputBuffer();
        oc = 0;
    }

    private void copySimple(MemorySegment buf, long nread) throws DdExit, WriteFailed {
        long start = 0;
        do {
            long nfree = Math.min(nread, o.outputBlocksize - oc);
            MemorySegment.copy(buf, start, obuf, oc, nfree);
            nread -= nfree;
            start += nfree;
            oc += nfree;
            if (oc >= o.outputBlocksize) {
                writeOutput();
            }
        } while (nread != 0);
    }

    // ---------------------------------------------------------------- skip / seek

    /** skip() for the input: the number of records that could not be skipped. */
    private long skipInput(long records, long[] bytes) throws DdExit, WriteFailed {
        DdInput in = source.in;
        long blocksize = o.inputBlocksize;
        int lseekErrno = 0;
        long offset = -1;
        boolean computed = true;
        try {
            offset = Math.addExact(Math.multiplyExact(records, blocksize), bytes[0]);
        } catch (ArithmeticException e) {
            computed = false;
        }
        if (computed) {
            long target = in.startOffset() + offset;
            try {
                if (target < 0) {
                    throw new DdIoException(DdErrno.EINVAL, DdErrno.strerror(DdErrno.EINVAL));
                }
                in.seek(target);
                long size;
                try {
                    size = in.usableSize();
                } catch (DdIoException e) {
                    stats.error("cannot fstat " + DdText.quoteAlways(source.name), e);
                    throw new DdExit(DdExit.FAILURE);
                }
                long inputOffset = source.offset();
                if (size >= 0 && 0 <= inputOffset && size - inputOffset < offset) {
                    records = (offset - size) / blocksize;
                    offset = size - inputOffset;
                } else {
                    records = 0;
                }
                source.advance(offset);
                source.descriptorAt(target); // lseek put it there, past the end of the file or not
                return records;
            } catch (DdIoException e) {
                lseekErrno = e.errno();
            }
        }
        try {
            source.descriptorAt(in.seekEnd());
            if (lseekErrno == 0) {
                lseekErrno = DdErrno.EOVERFLOW;
            }
            stats.error(DdText.quoteIfNeeded(source.name) + ": cannot skip: " + DdErrno.strerror(lseekErrno));
            throw new DdExit(DdExit.FAILURE);
        } catch (DdIoException notSeekable) {
            // read and discard
        }
        MemorySegment buf = buffers.takeInput();
        do {
            processSignals();
            long want = records != 0 ? blocksize : bytes[0];
            long n = reads.readSequential(buf.asSlice(0, want));
            if (n < 0) {
                stats.error("error reading " + DdText.quoteAlways(source.name), reads.readError());
                if (o.conv(C_NOERROR)) {
                    stats.printStats();
                }
                throw new DdExit(DdExit.FAILURE);
            } else if (n == 0) {
                break;
            } else {
                source.advance(n);
            }
            if (records != 0) {
                records--;
            } else {
                bytes[0] = 0;
            }
        } while (records != 0 || bytes[0] != 0);
        buffers.giveBack(buf, true);
        return records;
    }

    /** skip() for the output (seek=): dd positions it, or fails if it cannot. */
    private void seekOutput(long records, long bytes) throws DdExit {
        DdOutput out = writes.out;
        long offset;
        int lseekErrno = 0;
        try {
            offset = Math.addExact(Math.multiplyExact(records, o.outputBlocksize), bytes);
            long target = Math.addExact(out.startOffset(), offset);
            out.seek(target);
            writes.positionAt(target);
            return;
        } catch (ArithmeticException e) {
            lseekErrno = 0;
        } catch (DdIoException e) {
            lseekErrno = e.errno();
        }
        try {
            writes.descriptorAt(out.seekEnd());
            if (lseekErrno == 0) {
                lseekErrno = DdErrno.EOVERFLOW;
            }
        } catch (DdIoException notSeekable) {
            if (lseekErrno == 0) {
                lseekErrno = notSeekable.errno();
            }
            // GNU dd would now read the output to skip; outputs that cannot seek cannot be read either
        }
        stats.error(DdText.quoteIfNeeded(writes.name) + ": cannot seek: " + DdErrno.strerror(lseekErrno));
        throw new DdExit(DdExit.FAILURE);
    }

    // ---------------------------------------------------------------- signals

    /**
     * process_signals: between blocks, SIGUSR1 prints the statistics; SIGINT finishes what
     * is in flight, prints them and dies by the signal (cleanup() without synchronizing).
     */
    private void processSignals() {
        while (signals.pending()) {
            int interrupt = signals.interrupt();
            if (interrupt == 0) {
                if (signals.takeInfoRequest()) {
                    stats.printStats();
                }
                continue;
            }
            if (!signals.claimInterrupt()) {
                signals.awaitDeath();
            }
            try {
                writes.drain();
            } catch (WriteFailed reported) {
                // its message is out; the statistics follow
            }
            reads.discard();
            source.settleOffset();
            writes.settleOffset();
            boolean closed = true;
            try {
                source.in.close();
            } catch (DdIoException e) {
                stats.error("closing input file " + DdText.quoteAlways(source.name), e);
                closed = false;
            }
            if (closed) {
                try {
                    writes.out.close();
                } catch (DdIoException e) {
                    stats.error("closing output file " + DdText.quoteAlways(writes.name), e);
                    closed = false;
                }
            }
            if (closed) {
                stats.printStats();
            }
            stats.flush();
            signals.die(interrupt);
        }
    }
}
