package io.dioring.tools.dd;

import static io.dioring.tools.dd.DdOptions.C_EXCL;
import static io.dioring.tools.dd.DdOptions.C_FDATASYNC;
import static io.dioring.tools.dd.DdOptions.C_FSYNC;
import static io.dioring.tools.dd.DdOptions.C_NOCREAT;
import static io.dioring.tools.dd.DdOptions.C_NOERROR;
import static io.dioring.tools.dd.DdOptions.C_NOTRUNC;
import static io.dioring.tools.dd.DdOptions.C_SPARSE;
import static io.dioring.tools.dd.DdOptions.C_SYNC;
import static io.dioring.tools.dd.DdOptions.C_TWOBUFS;
import static io.dioring.tools.dd.DdOptions.F_APPEND;
import static io.dioring.tools.dd.DdOptions.F_DIRECT;
import static io.dioring.tools.dd.DdOptions.OPEN_FLAGS;
import static io.dioring.tools.dd.DdOptions.STATUS_NONE;
import static io.dioring.tools.dd.DdOptions.STATUS_NOXFER;
import static io.dioring.tools.dd.DdOptions.STATUS_PROGRESS;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * GNU dd's main program and copy loop ({@code main}, {@code dd_copy}, {@code skip},
 * {@code iread}, {@code iwrite}, {@code write_output}, {@code print_stats} of coreutils 9.1),
 * independent of how bytes move: all I/O goes through {@link DdInput}/{@link DdOutput}.
 *
 * <h2>Pipelining</h2>
 * The loop is written in dd's sequential order, but reads are submitted ahead (up to the
 * queue depth, for positional inputs) and writes complete behind, both in submission order.
 * What dd's semantics need is kept:
 * <ul>
 * <li>Reads ahead are at the offsets a sequence of full records would have; anything that
 *     is not a full record (short read, error, EOF) discards the reads ahead and resumes
 *     sequentially from the true offset, so accounting is exactly dd's.
 * <li>Before anything becomes visible (a message, the statistics, the end), in-flight writes
 *     are drained; the first failed write in order is the one dd would have reported, and the
 *     records-in counters go back to what they were when it was submitted.
 * <li>Buffers stay owned by an operation until it completes: a block read in bs= mode is
 *     written from the same buffer, which returns to the pool when its write completes.
 * </ul>
 * With a synchronous backend (depth 1) this is exactly GNU dd's order of system calls.
 */
final class DdCopy {
    private static final int EXIT_SUCCESS = 0;
    private static final int EXIT_FAILURE = 1;
    private static final long XTIME_PRECISION = 1_000_000_000L;
    private static final long ALIGNMENT = 4096;

    /** dd ends now with this status (after printing what it prints at that point). */
    static final class Exit extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Exit(int status) {
            super(null, null, false, false);
            this.status = status;
        }
    }

    private final DdOptions o;
    private final DdBackend backend;
    private DdSignals signals = DdSignals.none();
    private final PrintStream err;
    private final LongSupplier clock;
    private final String inputName;
    private final String outputName;

    private DdInput in;
    private DdOutput out;

    // dd's counters
    private long rFull;
    private long rPartial;
    private long wFull;
    private long wPartial;
    private long wBytes;
    private long reportedWBytes = -1;

    private long startTime;
    private long nextTime;
    private int progressLen;

    private boolean inputSeekable;
    private int inputSeekErrno;
    /** dd's input_offset; -1 if it overflowed. */
    private long inputOffset;
    /** Where the next write goes. */
    private long outputOffset;
    /** Where GNU dd's calls would have left the input descriptor's offset (inherited stdin). */
    private long inputFdOffset;
    /** Where GNU dd's calls would have left the output descriptor's offset: after the last write. */
    private long outputFdOffset;
    private boolean outputDirect;
    private boolean warnPartialRead;
    private long prevNread;
    private int conversions;
    private final DdCache inputCache;
    private final DdCache outputCache;
    /** swab, block/unblock and the translations; null if the bytes go out as read. */
    private final DdConversions converter;
    /** conv=sparse; null without it. */
    private final DdSparse sparse;
    private final DdConversions.Sink<Exit, WriteFailed> toOutputBuffer = this::copySimple;

    // buffers and pipelines
    /** Shared, not confined: a backend may touch buffers from its own threads (a thread pool). */
    private final Arena arena = Arena.ofShared();
    private final ArrayDeque<MemorySegment> freeInput = new ArrayDeque<>();
    private final ArrayDeque<MemorySegment> freeOutput = new ArrayDeque<>();
    private int inputBuffers;
    private int outputBuffers;
    private int readDepth;
    private int writeDepth;
    private final ArrayDeque<Read> reads = new ArrayDeque<>();
    private final ArrayDeque<Write> writes = new ArrayDeque<>();
    /** Offset and record index of the next read to submit ahead. */
    private long aheadOffset;
    private long aheadIndex;

    private MemorySegment obuf;
    private long oc;

    private record Read(MemorySegment buffer, long offset, long length) {}

    private enum Kind { BLOCK, OBS, FINAL }

    /** {@code seekedOver}: conv=sparse skipped this all-NUL block instead of writing it. */
    private record Write(MemorySegment buffer, boolean inputBuffer, long offset, long length, Kind kind,
            long rFullAt, long rPartialAt, boolean seekedOver) {}

    /** A write that failed, in order: dd reports it and stops. */
    private static final class WriteFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final Kind kind;

        WriteFailed(Kind kind) {
            super(null, null, false, false);
            this.kind = kind;
        }
    }

    DdCopy(DdOptions options, DdBackend backend, PrintStream err, LongSupplier clock) {
        this.o = options;
        this.backend = backend;
        this.err = err;
        this.clock = clock;
        this.inputName = options.inputFile == null ? "standard input" : options.inputFile;
        this.outputName = options.outputFile == null ? "standard output" : options.outputFile;
        this.conversions = options.conversions;
        this.inputCache = DdCache.forInput(options);
        this.outputCache = DdCache.forOutput(options);
        this.converter = DdConversions.of(options);
        this.sparse = (options.conversions & C_SPARSE) != 0 ? new DdSparse((options.outputFlags & F_APPEND) != 0)
                : null;
    }

    /** Handles SIGINT and SIGUSR1 as GNU dd does (the CLI installs them; embedded use does not). */
    DdCopy withSignals(DdSignals s) {
        this.signals = s;
        s.setLastWords(this::printStats);
        return this;
    }

    private boolean conv(int mask) {
        return (conversions & mask) != 0;
    }

    // ---------------------------------------------------------------- messages

    /** nl_error: end a progress line first. */
    private void error(String message) {
        if (0 < progressLen) {
            err.print('\n');
            progressLen = 0;
        }
        err.print("dd: " + message + "\n");
        err.flush();
    }

    private void error(String message, DdIoException e) {
        error(message + ": " + e.strerror());
    }

    private void printXferStats(long progressTime) {
        long now = progressTime != 0 ? progressTime : clock.getAsLong();
        String si = DdText.humanReadable(wBytes, DdText.DD_OPTS, 1, 1);
        String iec = DdText.humanReadable(wBytes, DdText.DD_OPTS | DdText.BASE_1024, 1, 1);
        double deltaS;
        String bytesPerSecond;
        if (startTime < now) {
            long delta = now - startTime;
            deltaS = delta / (double) XTIME_PRECISION;
            bytesPerSecond = DdText.humanReadable(wBytes, DdText.DD_OPTS, XTIME_PRECISION, delta) + "/s";
        } else {
            deltaS = 0;
            bytesPerSecond = "Infinity B/s";
        }
        StringBuilder line = new StringBuilder();
        if (progressTime != 0) {
            line.append('\r');
        }
        String deltaText = progressTime != 0 ? DdText.fixed(deltaS, 0) + " s" : DdText.g(deltaS) + " s";
        String stats;
        if (si.charAt(si.length() - 2) == ' ') {
            stats = wBytes + (wBytes == 1 ? " byte copied, " : " bytes copied, ") + deltaText + ", "
                    + bytesPerSecond;
        } else if (iec.charAt(iec.length() - 2) == ' ') {
            stats = wBytes + " bytes (" + si + ") copied, " + deltaText + ", " + bytesPerSecond;
        } else {
            stats = wBytes + " bytes (" + si + ", " + iec + ") copied, " + deltaText + ", " + bytesPerSecond;
        }
        line.append(stats);
        int statsLen = stats.length();
        if (progressTime != 0) {
            if (statsLen < progressLen) {
                line.append(" ".repeat(progressLen - statsLen));
            }
            progressLen = statsLen;
        } else {
            line.append('\n');
        }
        err.print(line);
        err.flush();
        reportedWBytes = wBytes;
    }

    private void printStats() {
        if (o.status == STATUS_NONE) {
            return;
        }
        if (0 < progressLen) {
            err.print('\n');
            progressLen = 0;
        }
        err.print(rFull + "+" + rPartial + " records in\n" + wFull + "+" + wPartial + " records out\n"
                + DdConversions.truncatedRecordsLine(converter == null ? 0 : converter.truncatedRecords()));
        if (o.status == STATUS_NOXFER) {
            err.flush();
            return;
        }
        printXferStats(0);
    }

    // ---------------------------------------------------------------- main()

    /** dd's main after option parsing: the exit status. */
    int run() {
        try {
            int status = openAndCopy();
            return status;
        } catch (Exit e) {
            return e.status;
        } finally {
            arena.close();
        }
    }

    private int openAndCopy() throws Exit {
        try {
            in = backend.openInput(o.inputFile, o.inputFlags & OPEN_FLAGS);
        } catch (DdIoException e) {
            if (o.inputFile == null) {
                error("setting flags for " + DdText.quoteAlways(inputName), e);
            } else {
                error("failed to open " + DdText.quoteAlways(inputName), e);
            }
            throw new Exit(EXIT_FAILURE);
        }
        inputSeekable = in.seekable();
        inputOffset = in.startOffset();
        inputFdOffset = inputOffset;
        inputSeekErrno = in.seekErrno();

        boolean notrunc = conv(C_NOTRUNC);
        long size = 0;
        if (o.outputFile != null) {
            boolean overflow = false;
            try {
                size = Math.addExact(Math.multiplyExact(o.seekRecords, o.outputBlocksize), o.seekBytes);
            } catch (ArithmeticException ex) {
                overflow = true;
            }
            if (overflow && !notrunc) {
                error("offset too large: cannot truncate to a length of seek=" + o.seekRecords + " ("
                        + o.outputBlocksize + "-byte) blocks");
                closeQuietly();
                throw new Exit(EXIT_FAILURE);
            }
        }
        try {
            out = backend.openOutput(o.outputFile, o.outputFlags & OPEN_FLAGS, conv(C_NOCREAT), conv(C_EXCL),
                    !(o.seekRecords != 0 || notrunc), o.seekRecords != 0);
        } catch (DdIoException e) {
            if (o.outputFile == null) {
                error("setting flags for " + DdText.quoteAlways(outputName), e);
            } else {
                error("failed to open " + DdText.quoteAlways(outputName), e);
            }
            closeQuietly();
            throw new Exit(EXIT_FAILURE);
        }
        outputDirect = (o.outputFlags & F_DIRECT) != 0;
        outputFdOffset = out.startOffset();
        if (o.outputFile != null && o.seekRecords != 0 && !notrunc) {
            try {
                out.truncate(size);
            } catch (DdIoException e) {
                try {
                    if (out.truncatable()) {
                        error("failed to truncate to " + size + " bytes in output file "
                                + DdText.quoteAlways(outputName), e);
                        // GNU sets exit_status here, then overwrites it with dd_copy's.
                    }
                } catch (DdIoException fe) {
                    error("cannot fstat " + DdText.quoteAlways(outputName), fe);
                }
            }
        }

        // pipelining only where offsets are explicit and order cannot matter to the file
        readDepth = Math.max(1, Math.min(o.queueDepth, inputSeekable ? in.maxInFlight() : 1));
        boolean sequentialOut = !out.seekable() || (o.outputFlags & F_APPEND) != 0;
        writeDepth = Math.max(1, Math.min(o.queueDepth, sequentialOut ? 1 : out.maxInFlight()));
        // keep buffer memory bounded for huge block sizes
        long budget = 256L << 20;
        readDepth = (int) Math.max(1, Math.min(readDepth, budget / o.inputBlocksize));
        writeDepth = (int) Math.max(1, Math.min(writeDepth, budget / o.outputBlocksize));
        if (o.outputNocache) {
            // GNU drops each range before its next write starts; with later writes to the file
            // still in flight the kernel was seen to keep the dropped pages (io_uring, qd=8)
            writeDepth = 1;
        }

        startTime = clock.getAsLong();
        nextTime = startTime + XTIME_PRECISION;

        int exitStatus;
        try {
            exitStatus = ddCopy();
        } catch (Exit e) {
            // quit(): finish_up, then exit with the code
            finishUp();
            throw e;
        }
        int syncStatus = synchronizeOutput();
        if (syncStatus != 0) {
            exitStatus = syncStatus;
        }
        if (o.maxRecords == 0 && o.maxBytes == 0) {
            // count=0: drop the cache to the end of the file, and say so if that fails
            int errno = o.inputNocache ? invalidateInputCache(0) : 0;
            if (errno != 0) {
                error("failed to discard cache for: " + DdText.quoteIfNeeded(inputName) + ": "
                        + PosixBackend.strerror(errno));
                exitStatus = EXIT_FAILURE;
            }
            errno = o.outputNocache ? invalidateOutputCache(0, outputOffset) : 0;
            if (errno != 0) {
                error("failed to discard cache for: " + DdText.quoteIfNeeded(outputName) + ": "
                        + PosixBackend.strerror(errno));
                exitStatus = EXIT_FAILURE;
            }
        } else {
            if (o.inputNocache || inputCache.dropsToEndOfFile()) {
                invalidateInputCache(0);
            }
            if (o.outputNocache || outputCache.dropsToEndOfFile()) {
                invalidateOutputCache(0, outputOffset);
            }
        }
        finishUp();
        return exitStatus;
    }

    private void closeQuietly() {
        try {
            if (in != null) {
                in.close();
            }
        } catch (DdIoException ignored) {
            // already failing
        }
    }

    /** finish_up: cleanup (sync, close) then the statistics. */
    private void finishUp() throws Exit {
        try {
            drainWrites();
        } catch (WriteFailed ignored) {
            // reported already
        }
        discardReads();
        settleOffsets();
        int syncStatus = synchronizeOutput();
        if (syncStatus != 0) {
            throw new Exit(syncStatus);
        }
        try {
            in.close();
        } catch (DdIoException e) {
            error("closing input file " + DdText.quoteAlways(inputName), e);
            throw new Exit(EXIT_FAILURE);
        }
        try {
            out.close();
        } catch (DdIoException e) {
            error("closing output file " + DdText.quoteAlways(outputName), e);
            throw new Exit(EXIT_FAILURE);
        }
        printStats();
    }

    /** Inherited descriptors end where GNU dd's read/write/lseek calls would leave them. */
    private void settleOffsets() {
        in.endAt(inputFdOffset);
        out.endAt(outputFdOffset);
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
                    printStats();
                }
                continue;
            }
            if (!signals.claimInterrupt()) {
                signals.awaitDeath();
            }
            try {
                drainWrites();
            } catch (WriteFailed reported) {
                // its message is out; the statistics follow
            }
            discardReads();
            settleOffsets();
            boolean closed = true;
            try {
                in.close();
            } catch (DdIoException e) {
                error("closing input file " + DdText.quoteAlways(inputName), e);
                closed = false;
            }
            if (closed) {
                try {
                    out.close();
                } catch (DdIoException e) {
                    error("closing output file " + DdText.quoteAlways(outputName), e);
                    closed = false;
                }
            }
            if (closed) {
                printStats();
            }
            err.flush();
            signals.die(interrupt);
        }
    }

    private int synchronizeOutput() {
        int exitStatus = 0;
        int mask = conversions;
        conversions &= ~(C_FDATASYNC | C_FSYNC);
        if ((mask & C_FDATASYNC) != 0) {
            try {
                out.fdatasync();
            } catch (DdIoException e) {
                if (e.errno() != 38 /* ENOSYS */ && e.errno() != PosixBackend.EINVAL) {
                    error("fdatasync failed for " + DdText.quoteAlways(outputName), e);
                    exitStatus = EXIT_FAILURE;
                }
                mask |= C_FSYNC;
            }
        }
        if ((mask & C_FSYNC) != 0) {
            try {
                out.fsync();
            } catch (DdIoException e) {
                error("fsync failed for " + DdText.quoteAlways(outputName), e);
                return EXIT_FAILURE;
            }
        }
        return exitStatus;
    }

    /** invalidate_cache(STDIN_FILENO, length): the input's page cache behind dd's input offset. */
    private int invalidateInputCache(long length) {
        return inputCache.invalidate(length, inputSeekable ? inputOffset : -1,
                inputSeekable ? PosixBackend.EOVERFLOW : PosixBackend.ESPIPE, in::dropCache);
    }

    /** invalidate_cache(STDOUT_FILENO, length), the output's file offset being {@code position}. */
    private int invalidateOutputCache(long length, long position) {
        return outputCache.invalidate(length, out.seekable() ? position : -1, out.seekErrno(), out::dropCache);
    }

    // ---------------------------------------------------------------- buffers

    private MemorySegment allocate(long size, String what) throws Exit {
        try {
            return arena.allocate(size, ALIGNMENT);
        } catch (OutOfMemoryError | IllegalArgumentException e) {
            error("memory exhausted by " + what + " buffer of size " + size + " bytes ("
                    + DdText.humanReadable(size, DdText.DD_OPTS | DdText.BASE_1024, 1, 1) + ")");
            throw new Exit(EXIT_FAILURE);
        }
    }

    /** A free input buffer, allocating up to the read depth; null if all are busy. */
    private MemorySegment takeInputBuffer() throws Exit {
        MemorySegment b = freeInput.poll();
        if (b == null && inputBuffers < readDepth + (conv(C_TWOBUFS) ? 0 : writeDepth)) {
            b = allocate(o.inputBlocksize, "input");
            inputBuffers++;
        }
        return b;
    }

    private MemorySegment takeOutputBuffer() throws Exit, WriteFailed {
        while (true) {
            MemorySegment b = freeOutput.poll();
            if (b == null && outputBuffers < writeDepth) {
                b = allocate(o.outputBlocksize, "output");
                outputBuffers++;
            }
            if (b != null) {
                return b;
            }
            awaitOldestWrite();
        }
    }

    // ---------------------------------------------------------------- reads

    private long totalReads() {
        return o.maxBytes != 0 && o.maxRecords != Long.MAX_VALUE ? o.maxRecords + 1 : o.maxRecords;
    }

    private long lengthOfRecord(long index) {
        return index >= o.maxRecords ? o.maxBytes : o.inputBlocksize;
    }

    /** Submits reads ahead while buffers and the depth allow; at least one if none is in flight. */
    private void fillReads() throws Exit, WriteFailed {
        if (reads.isEmpty()) {
            aheadIndex = rFull + rPartial;
            aheadOffset = inputOffset;
        }
        long total = totalReads();
        while (reads.size() < readDepth && aheadIndex < total) {
            MemorySegment b = takeInputBuffer();
            if (b == null) {
                if (!reads.isEmpty()) {
                    return;
                }
                awaitOldestWrite(); // frees the buffer of the oldest block being written
                continue;
            }
            long len = lengthOfRecord(aheadIndex);
            if (conv(C_SYNC) && conv(C_NOERROR)) {
                b.fill(DdConversions.padding(conversions));
            }
            MemorySegment dst = b.asSlice(0, len);
            in.submitRead(aheadOffset, dst);
            reads.add(new Read(b, aheadOffset, len));
            aheadOffset += len;
            aheadIndex++;
        }
    }

    /** Awaits and drops every read in flight (their offsets are no longer right). */
    private void discardReads() {
        while (!reads.isEmpty()) {
            Read r = reads.poll();
            try {
                in.awaitRead();
            } catch (DdIoException ignored) {
                // speculative
            }
            freeInput.add(r.buffer());
        }
    }

    /** The result of iread: bytes, or -1 with the error. */
    private long nread;
    private DdIoException readError;

    /**
     * iread: one read call's outcome at {@code offset}, with dd's treatment of EINVAL after a
     * short direct read and its partial-read warning.
     */
    private long ireadOutcome(long size, long n, DdIoException e) throws WriteFailed, Exit {
        if (e != null && e.errno() == PosixBackend.EINVAL && 0 < prevNread && prevNread < size
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
                    drainWrites();
                    error("warning: partial read (" + prevNread + (prevNread == 1 ? " byte" : " bytes")
                            + "); suggest iflag=fullblock");
                }
                warnPartialRead = false;
            }
        }
        prevNread = n;
        return n;
    }

    /** A synchronous read of {@code dst} at {@code offset} (no reads ahead in flight). */
    private long ireadNow(long offset, MemorySegment dst) throws WriteFailed, Exit {
        in.submitRead(offset, dst);
        long n = 0;
        DdIoException e = null;
        try {
            n = in.awaitRead();
        } catch (DdIoException ex) {
            e = ex;
        }
        return ireadOutcome(dst.byteSize(), n, e);
    }

    /** iread_fnc (iread or iread_fullblock) for one record; the buffer is in {@link #current}. */
    private MemorySegment current;

    private long readRecord(long len) throws Exit, WriteFailed {
        fillReads();
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
        n = ireadOutcome(len, n, e);
        if (n != len) {
            discardReads();
        }
        if (o.fullblock && 0 < n && n < len) {
            long total = n;
            while (total < len) {
                long c = ireadNow(r.offset() + total, current.asSlice(total, len - total));
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

    // ---------------------------------------------------------------- writes

    private void submitWrite(MemorySegment buffer, boolean inputBuffer, long length, Kind kind)
            throws Exit, WriteFailed {
        if (outputDirect && length < o.outputBlocksize) {
            // iwrite: GNU dd turns O_DIRECT off for a final (partial) block
            drainWrites();
            try {
                out.dropDirect();
            } catch (DdIoException e) {
                if (o.status != STATUS_NONE) {
                    error("failed to turn off O_DIRECT: " + DdText.quoteIfNeeded(outputName), e);
                }
            }
            outputDirect = false;
            outputCache.dropToEndOfFile();
            invalidateOutputCache(0, outputOffset);
            conversions |= C_FSYNC;
        }
        while (writes.size() >= writeDepth) {
            awaitOldestWrite();
        }
        MemorySegment block = buffer.asSlice(0, length);
        boolean seekedOver = sparse != null && sparse.seekedOver(out, outputOffset, block);
        if (!seekedOver) {
            out.submitWrite(outputOffset, block);
        }
        writes.add(new Write(buffer, inputBuffer, outputOffset, length, kind, rFull, rPartial, seekedOver));
        outputOffset += length;
    }

    private void awaitOldestWrite() throws WriteFailed {
        Write w = writes.poll();
        long n;
        DdIoException e = null;
        try {
            n = w.seekedOver() ? w.length() : out.awaitWrite();
        } catch (DdIoException ex) {
            e = ex;
            n = ex.transferred();
        }
        (w.inputBuffer() ? freeInput : freeOutput).add(w.buffer());
        wBytes += n;
        outputFdOffset = w.offset() + n;
        if (o.outputNocache && n > 0) {
            invalidateOutputCache(n, w.offset() + n);
        }
        if (e == null) {
            switch (w.kind()) {
                case BLOCK -> {
                    if (w.length() == o.inputBlocksize) {
                        wFull++;
                    } else {
                        wPartial++;
                    }
                }
                case OBS -> wFull++;
                case FINAL -> {
                    if (n != 0) {
                        wPartial++;
                    }
                }
            }
            return;
        }
        // The first failure in order: everything after it never happened for dd.
        while (!writes.isEmpty()) {
            Write later = writes.poll();
            try {
                if (!later.seekedOver()) {
                    out.awaitWrite();
                }
            } catch (DdIoException ignored) {
                // after the failure
            }
            (later.inputBuffer() ? freeInput : freeOutput).add(later.buffer());
        }
        discardReads();
        rFull = w.rFullAt();
        rPartial = w.rPartialAt();
        switch (w.kind()) {
            case BLOCK, FINAL -> {
                if (w.kind() == Kind.FINAL && n != 0) {
                    wPartial++;
                }
                error("error writing " + DdText.quoteAlways(outputName), e);
            }
            case OBS -> {
                error("writing to " + DdText.quoteAlways(outputName), e);
                if (n != 0) {
                    wPartial++;
                }
            }
        }
        throw new WriteFailed(w.kind());
    }

    private void drainWrites() throws WriteFailed {
        while (!writes.isEmpty()) {
            awaitOldestWrite();
        }
    }

    /** write_output: the full output buffer goes out; a new one takes its place. */
    private void writeOutput() throws Exit, WriteFailed {
        submitWrite(obuf, false, o.outputBlocksize, Kind.OBS);
        obuf = takeOutputBuffer();
        oc = 0;
    }

    private void copySimple(MemorySegment buf, long nread) throws Exit, WriteFailed {
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

    private void advanceInputOffset(long n) {
        inputFdOffset += n;
        if (0 <= inputOffset) {
            long sum = inputOffset + n;
            inputOffset = (sum < 0) ? -1 : sum;
        }
    }

    /** skip() for the input: the number of records that could not be skipped. */
    private long skipInput(long records, long[] bytes) throws Exit, WriteFailed {
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
                    throw new DdIoException(PosixBackend.EINVAL, PosixBackend.strerror(PosixBackend.EINVAL));
                }
                in.seek(target);
                long size;
                try {
                    size = in.usableSize();
                } catch (DdIoException e) {
                    error("cannot fstat " + DdText.quoteAlways(inputName), e);
                    throw new Exit(EXIT_FAILURE);
                }
                if (size >= 0 && 0 <= inputOffset && size - inputOffset < offset) {
                    records = (offset - size) / blocksize;
                    offset = size - inputOffset;
                } else {
                    records = 0;
                }
                advanceInputOffset(offset);
                inputFdOffset = target; // lseek put it there, past the end of the file or not
                return records;
            } catch (DdIoException e) {
                lseekErrno = e.errno();
            }
        }
        try {
            inputFdOffset = in.seekEnd();
            if (lseekErrno == 0) {
                lseekErrno = PosixBackend.EOVERFLOW;
            }
            error(DdText.quoteIfNeeded(inputName) + ": cannot skip: " + PosixBackend.strerror(lseekErrno));
            throw new Exit(EXIT_FAILURE);
        } catch (DdIoException notSeekable) {
            // read and discard
        }
        MemorySegment buf = takeInputBuffer();
        do {
            processSignals();
            long want = records != 0 ? blocksize : bytes[0];
            long n = ireadFnc(buf.asSlice(0, want));
            if (n < 0) {
                error("error reading " + DdText.quoteAlways(inputName), readError);
                if (conv(C_NOERROR)) {
                    printStats();
                }
                throw new Exit(EXIT_FAILURE);
            } else if (n == 0) {
                break;
            } else {
                advanceInputOffset(n);
            }
            if (records != 0) {
                records--;
            } else {
                bytes[0] = 0;
            }
        } while (records != 0 || bytes[0] != 0);
        freeInput.add(buf);
        return records;
    }

    /** iread_fnc on a sequential input (used by skip). */
    private long ireadFnc(MemorySegment dst) throws WriteFailed, Exit {
        if (!o.fullblock) {
            return ireadNow(inputOffset, dst);
        }
        long total = 0;
        while (total < dst.byteSize()) {
            long c = ireadNow(inputOffset + total, dst.asSlice(total));
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

    /** skip() for the output (seek=): dd positions it, or fails if it cannot. */
    private void seekOutput(long records, long bytes) throws Exit {
        long offset;
        int lseekErrno = 0;
        try {
            offset = Math.addExact(Math.multiplyExact(records, o.outputBlocksize), bytes);
            long target = Math.addExact(out.startOffset(), offset);
            out.seek(target);
            outputOffset = target;
            outputFdOffset = target;
            return;
        } catch (ArithmeticException e) {
            lseekErrno = 0;
        } catch (DdIoException e) {
            lseekErrno = e.errno();
        }
        try {
            outputFdOffset = out.seekEnd();
            if (lseekErrno == 0) {
                lseekErrno = PosixBackend.EOVERFLOW;
            }
        } catch (DdIoException notSeekable) {
            if (lseekErrno == 0) {
                lseekErrno = notSeekable.errno();
            }
            // GNU dd would now read the output to skip; outputs that cannot seek cannot be read either
        }
        error(DdText.quoteIfNeeded(outputName) + ": cannot seek: " + PosixBackend.strerror(lseekErrno));
        throw new Exit(EXIT_FAILURE);
    }

    // ---------------------------------------------------------------- dd_copy

    private int ddCopy() throws Exit {
        try {
            return ddCopyLoop();
        } catch (WriteFailed f) {
            if (f.kind == Kind.OBS) {
                throw new Exit(EXIT_FAILURE); // write_output: quit(EXIT_FAILURE)
            }
            return EXIT_FAILURE;
        }
    }

    private int ddCopyLoop() throws Exit, WriteFailed {
        int exitStatus = EXIT_SUCCESS;
        long partread = 0;
        warnPartialRead = o.warnPartialRead;
        outputOffset = out.startOffset();

        if (o.skipRecords != 0 || o.skipBytes != 0) {
            long usBytes = 0;
            boolean usOverflow = false;
            try {
                usBytes = Math.addExact(Math.multiplyExact(o.skipRecords, o.inputBlocksize), o.skipBytes);
            } catch (ArithmeticException e) {
                usOverflow = true;
            }
            long inputOffset0 = inputOffset;
            long[] bytes = {o.skipBytes};
            long usBlocks = skipInput(o.skipRecords, bytes);
            if ((usBlocks != 0 || (0 <= inputOffset && (usOverflow || usBytes != inputOffset - inputOffset0)))
                    && o.status != STATUS_NONE) {
                error(DdText.quoteIfNeeded(inputName) + ": cannot skip to specified offset");
            }
        }

        if (o.seekRecords != 0 || o.seekBytes != 0) {
            seekOutput(o.seekRecords, o.seekBytes);
        }

        if (o.maxRecords == 0 && o.maxBytes == 0) {
            return exitStatus;
        }

        boolean twobufs = conv(C_TWOBUFS);
        if (twobufs) {
            obuf = takeOutputBuffer();
        }
        long ibs = o.inputBlocksize;
        long recordsLimit = o.maxRecords == Long.MAX_VALUE ? Long.MAX_VALUE
                : o.maxRecords + (o.maxBytes != 0 ? 1 : 0);

        while (true) {
            processSignals();
            if (o.status == STATUS_PROGRESS) {
                long progressTime = clock.getAsLong();
                if (nextTime <= progressTime) {
                    printXferStats(progressTime);
                    nextTime += XTIME_PRECISION;
                }
            }
            if (rPartial + rFull >= recordsLimit) {
                break;
            }
            long len = (rPartial + rFull >= o.maxRecords) ? o.maxBytes : ibs;
            long n = readRecord(len);
            MemorySegment buf = current;

            if (n > 0) {
                advanceInputOffset(n);
                if (o.inputNocache) {
                    invalidateInputCache(n);
                }
            } else if (n == 0) {
                if (o.inputNocache) {
                    inputCache.dropToEndOfFile();
                }
                if (o.outputNocache && !conv(C_NOTRUNC)) {
                    outputCache.dropToEndOfFile();
                }
                freeInput.add(buf);
                break;
            } else {
                drainWrites(); // the messages and statistics below come after earlier writes
                if (!conv(C_NOERROR) || o.status != STATUS_NONE) {
                    error("error reading " + DdText.quoteAlways(inputName), readError);
                }
                if (conv(C_NOERROR)) {
                    printStats();
                    long badPortion = ibs - partread;
                    if (o.inputNocache) {
                        invalidateInputCache(badPortion); // keeps the offsets right, as GNU does
                    }
                    if (!advanceInputAfterReadError(badPortion)) {
                        exitStatus = EXIT_FAILURE;
                        inputSeekable = false;
                        inputSeekErrno = PosixBackend.ESPIPE;
                    }
                    if (conv(C_SYNC) && partread == 0) {
                        n = 0; // the buffer was zeroed before the read
                    } else {
                        freeInput.add(buf);
                        continue;
                    }
                } else {
                    exitStatus = EXIT_FAILURE;
                    freeInput.add(buf);
                    break;
                }
            }

            long nBytes = n;
            if (nBytes < ibs) {
                rPartial++;
                partread = nBytes;
                if (conv(C_SYNC)) {
                    if (!conv(C_NOERROR)) {
                        buf.asSlice(nBytes, ibs - nBytes).fill(DdConversions.padding(conversions));
                    }
                    nBytes = ibs;
                }
            } else {
                rFull++;
                partread = 0;
            }

            if (!twobufs) {
                submitWrite(buf, true, nBytes, Kind.BLOCK);
                continue;
            }
            if (converter != null) {
                converter.convert(buf, nBytes, toOutputBuffer);
            } else {
                copySimple(buf, nBytes);
            }
            freeInput.add(buf);
        }

        if (converter != null) {
            converter.finish(toOutputBuffer);
        }
        if (twobufs && oc != 0) {
            submitWrite(obuf, false, oc, Kind.FINAL);
            obuf = null;
        }
        drainWrites();
        discardReads();

        DdSparse.Failure extend = sparse == null ? null
                : sparse.extendAfterFinalSeek(out, DdText.quoteAlways(outputName));
        if (extend != null) {
            error(extend.message(), extend.cause());
            return EXIT_FAILURE;
        }

        if (conv(C_FDATASYNC | C_FSYNC) && o.status == STATUS_PROGRESS && 0 <= reportedWBytes
                && reportedWBytes < wBytes) {
            printXferStats(0);
        }
        return exitStatus;
    }

    /** advance_input_after_read_error: continue after the bad block. */
    private boolean advanceInputAfterReadError(long nbytes) {
        if (!inputSeekable) {
            if (inputSeekErrno == PosixBackend.ESPIPE) {
                return true;
            }
            error(DdText.quoteIfNeeded(inputName) + ": cannot seek: " + PosixBackend.strerror(inputSeekErrno));
            return false;
        }
        advanceInputOffset(nbytes);
        if (inputOffset < 0) {
            error("offset overflow while reading file " + DdText.quoteAlways(inputName));
            return false;
        }
        // the next read is submitted at inputOffset; a positioning failure shows up there
        return true;
    }
}
