package io.dioring.tools.dd;

import static io.dioring.tools.dd.DdOptions.C_EXCL;
import static io.dioring.tools.dd.DdOptions.C_FDATASYNC;
import static io.dioring.tools.dd.DdOptions.C_FSYNC;
import static io.dioring.tools.dd.DdOptions.C_NOCREAT;
import static io.dioring.tools.dd.DdOptions.C_NOTRUNC;
import static io.dioring.tools.dd.DdOptions.C_SPARSE;
import static io.dioring.tools.dd.DdOptions.C_TWOBUFS;
import static io.dioring.tools.dd.DdOptions.F_APPEND;
import static io.dioring.tools.dd.DdOptions.OPEN_FLAGS;

import io.dioring.tools.dd.DdWriteBehind.WriteFailed;
import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * GNU dd's main program after option parsing ({@code main}, {@code finish_up},
 * {@code synchronize_output} of coreutils 9.1), independent of how bytes move: it opens the
 * files through the {@link DdBackend}, sizes the pipeline, runs the {@link DdCopyLoop} and
 * cleans up. The parts, each with its own state:
 * <ul>
 * <li>{@link DdCopyLoop}: dd_copy, skip/seek and signals, in dd's sequential order;
 * <li>{@link DdReadAhead}: reads submitted ahead, completed in order;
 * <li>{@link DdWriteBehind}: writes completed behind, in order, the first failure reported;
 * <li>{@link DdBuffers}: the input and output blocks;
 * <li>{@link DdStats}: counters and everything printed;
 * <li>{@link DdSource}: the input and dd's offset in it.
 * </ul>
 * With a synchronous backend (depth 1) this is exactly GNU dd's order of system calls.
 */
final class DdCopy {
    private final DdOptions o;
    private final DdBackend backend;
    private DdSignals signals = DdSignals.none();
    private final String inputName;
    private final String outputName;
    private final DdStats stats;
    private final DdBuffers buffers;
    /** swab, block/unblock and the translations; null if the bytes go out as read. */
    private final DdConversions converter;

    private DdInput in;
    private DdSource source;
    private DdWriteBehind writes;
    private DdReadAhead reads;
    /** conv= as given; fdatasync/fsync are cleared once done. */
    private int conversions;

    DdCopy(DdOptions options, DdBackend backend, PrintStream err, LongSupplier clock) {
        this.o = options;
        this.backend = backend;
        this.inputName = options.inputFile == null ? "standard input" : options.inputFile;
        this.outputName = options.outputFile == null ? "standard output" : options.outputFile;
        this.conversions = options.conversions;
        this.converter = DdConversions.of(options);
        this.stats = new DdStats(options, err, clock, converter);
        this.buffers = new DdBuffers(options, stats);
    }

    /** Handles SIGINT and SIGUSR1 as GNU dd does (the CLI installs them; embedded use does not). */
    DdCopy withSignals(DdSignals s) {
        this.signals = s;
        s.setLastWords(stats::printStats);
        return this;
    }

    /** dd's main after option parsing: the exit status. */
    int run() {
        try {
            return openAndCopy();
        } catch (DdExit e) {
            return e.status;
        } finally {
            buffers.close();
        }
    }

    private int openAndCopy() throws DdExit {
        try {
            in = backend.openInput(o.inputFile, o.inputFlags & OPEN_FLAGS);
        } catch (DdIoException e) {
            if (o.inputFile == null) {
                stats.error("setting flags for " + DdText.quoteAlways(inputName), e);
            } else {
                stats.error("failed to open " + DdText.quoteAlways(inputName), e);
            }
            throw new DdExit(DdExit.FAILURE);
        }
        source = new DdSource(in, inputName, DdCache.forInput(o), stats);

        boolean notrunc = o.conv(C_NOTRUNC);
        long size = 0;
        if (o.outputFile != null) {
            boolean overflow = false;
            try {
                size = Math.addExact(Math.multiplyExact(o.seekRecords, o.outputBlocksize), o.seekBytes);
            } catch (ArithmeticException ex) {
                overflow = true;
            }
            if (overflow && !notrunc) {
                stats.error("offset too large: cannot truncate to a length of seek=" + o.seekRecords + " ("
                        + o.outputBlocksize + "-byte) blocks");
                closeQuietly();
                throw new DdExit(DdExit.FAILURE);
            }
        }
        DdOutput out;
        try {
            out = backend.openOutput(o.outputFile, o.outputFlags & OPEN_FLAGS, o.conv(C_NOCREAT), o.conv(C_EXCL),
                    !(o.seekRecords != 0 || notrunc), o.seekRecords != 0);
        } catch (DdIoException e) {
            if (o.outputFile == null) {
                stats.error("setting flags for " + DdText.quoteAlways(outputName), e);
            } else {
                stats.error("failed to open " + DdText.quoteAlways(outputName), e);
            }
            closeQuietly();
            throw new DdExit(DdExit.FAILURE);
        }
        if (o.outputFile != null && o.seekRecords != 0 && !notrunc) {
            try {
                out.truncate(size);
            } catch (DdIoException e) {
                try {
                    if (out.truncatable()) {
                        stats.error("failed to truncate to " + size + " bytes in output file "
                                + DdText.quoteAlways(outputName), e);
                        // GNU sets exit_status here, then overwrites it with dd_copy's.
                    }
                } catch (DdIoException fe) {
                    stats.error("cannot fstat " + DdText.quoteAlways(outputName), fe);
                }
            }
        }

        // pipelining only where offsets are explicit and order cannot matter to the file
        int readDepth = Math.max(1, Math.min(o.queueDepth, source.seekable() ? in.maxInFlight() : 1));
        boolean sequentialOut = !out.seekable() || (o.outputFlags & F_APPEND) != 0;
        int writeDepth = Math.max(1, Math.min(o.queueDepth, sequentialOut ? 1 : out.maxInFlight()));
        // keep buffer memory bounded for huge block sizes
        long budget = 256L << 20;
        readDepth = (int) Math.max(1, Math.min(readDepth, budget / o.inputBlocksize));
        writeDepth = (int) Math.max(1, Math.min(writeDepth, budget / o.outputBlocksize));
        if (o.outputNocache) {
            // GNU drops each range before its next write starts; with later writes to the file
            // still in flight the kernel was seen to keep the dropped pages (io_uring, qd=8)
            writeDepth = 1;
        }
        buffers.limit(readDepth + (o.conv(C_TWOBUFS) ? 0 : writeDepth), writeDepth);
        DdSparse sparse = o.conv(C_SPARSE) ? new DdSparse((o.outputFlags & F_APPEND) != 0) : null;
        writes = new DdWriteBehind(out, outputName, o, stats, buffers, DdCache.forOutput(o), sparse, writeDepth);
        reads = new DdReadAhead(o, stats, buffers, source, writes, readDepth);

        stats.start();

        int exitStatus;
        try {
            exitStatus = new DdCopyLoop(o, stats, buffers, source, reads, writes, signals, converter, sparse).run();
        } catch (DdExit e) {
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
            int errno = o.inputNocache ? source.invalidateCache(0) : 0;
            if (errno != 0) {
                stats.error("failed to discard cache for: " + DdText.quoteIfNeeded(inputName) + ": "
                        + DdErrno.strerror(errno));
                exitStatus = DdExit.FAILURE;
            }
            errno = o.outputNocache ? writes.invalidateCacheToEnd() : 0;
            if (errno != 0) {
                stats.error("failed to discard cache for: " + DdText.quoteIfNeeded(outputName) + ": "
                        + DdErrno.strerror(errno));
                exitStatus = DdExit.FAILURE;
            }
        } else {
            if (o.inputNocache || source.cacheDropsToEndOfFile()) {
                source.invalidateCache(0);
            }
            if (o.outputNocache || writes.cacheDropsToEndOfFile()) {
                writes.invalidateCacheToEnd();
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
    private void finishUp() throws DdExit {
        try {
            writes.drain();
        } catch (WriteFailed ignored) {
            // reported already
        }
        reads.discard();
        // inherited descriptors end where GNU dd's read/write/lseek calls would leave them
        source.settleOffset();
        writes.settleOffset();
        int syncStatus = synchronizeOutput();
        if (syncStatus != 0) {
            throw new DdExit(syncStatus);
        }
        try {
            in.close();
        } catch (DdIoException e) {
            stats.error("closing input file " + DdText.quoteAlways(inputName), e);
            throw new DdExit(DdExit.FAILURE);
        }
        try {
            writes.out.close();
        } catch (DdIoException e) {
            stats.error("closing output file " + DdText.quoteAlways(outputName), e);
            throw new DdExit(DdExit.FAILURE);
        }
        stats.printStats();
    }

    private int synchronizeOutput() {
        int exitStatus = 0;
        int mask = conversions | (writes.fsyncAdded() ? C_FSYNC : 0);
        conversions &= ~(C_FDATASYNC | C_FSYNC);
        writes.fsyncDone();
        DdOutput out = writes.out;
        if ((mask & C_FDATASYNC) != 0) {
            try {
                out.fdatasync();
            } catch (DdIoException e) {
                if (e.errno() != 38 /* ENOSYS */ && e.errno() != DdErrno.EINVAL) {
                    stats.error("fdatasync failed for " + DdText.quoteAlways(outputName), e);
                    exitStatus = DdExit.FAILURE;
                }
                mask |= C_FSYNC;
            }
        }
        if ((mask & C_FSYNC) != 0) {
            try {
                out.fsync();
            } catch (DdIoException e) {
                stats.error("fsync failed for " + DdText.quoteAlways(outputName), e);
                return DdExit.FAILURE;
            }
        }
        return exitStatus;
    }
}
