package io.dioring.tools.dd;

import static io.dioring.tools.dd.DdOptions.STATUS_NONE;
import static io.dioring.tools.dd.DdOptions.STATUS_NOXFER;
import static io.dioring.tools.dd.DdOptions.STATUS_PROGRESS;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * dd's records and bytes counters and everything it prints to standard error: messages
 * ({@code nl_error}), the progress line and the final statistics ({@code print_stats},
 * {@code print_xfer_stats}). The counters change only through the methods here: records in
 * as the copy loop reads them, records and bytes out as the write-behind completes writes.
 */
final class DdStats {
    static final long XTIME_PRECISION = 1_000_000_000L;

    private final DdOptions o;
    private final PrintStream err;
    private final LongSupplier clock;
    /** Counts truncated records (conv=block); null without conversions. */
    private final DdConversions converter;

    private long rFull;
    private long rPartial;
    private long wFull;
    private long wPartial;
    private long wBytes;
    private long reportedWBytes = -1;

    private long startTime;
    private long nextTime;
    private int progressLen;

    DdStats(DdOptions o, PrintStream err, LongSupplier clock, DdConversions converter) {
        this.o = o;
        this.err = err;
        this.clock = clock;
        this.converter = converter;
    }

    /** The copy starts now (start_time). */
    void start() {
        startTime = clock.getAsLong();
        nextTime = startTime + XTIME_PRECISION;
    }

    long recordsIn() {
        return rFull + rPartial;
    }

    long fullRecordsIn() {
        return rFull;
    }

    long partialRecordsIn() {
        return rPartial;
    }

    void fullRecordIn() {
        rFull++;
    }

    void partialRecordIn() {
        rPartial++;
    }

    /** A write failed: the records read after the one it wrote never happened for dd. */
    void recordsInWere(long full, long partial) {
        rFull = full;
        rPartial = partial;
    }

    void fullRecordOut() {
        wFull++;
    }

    void partialRecordOut() {
        wPartial++;
    }

    void bytesOut(long n) {
        wBytes += n;
    }

    // ---------------------------------------------------------------- messages

    /** nl_error: end a progress line first. */
    void error(String message) {
        if (0 < progressLen) {
            err.print('\n');
            progressLen = 0;
        }
        err.print("dd: " + message + "\n");
        err.flush();
    }

    void error(String message, DdIoException e) {
        error(message + ": " + e.strerror());
    }

    void flush() {
        err.flush();
    }

    /** status=progress: the progress line, once a second. */
    void progress() {
        if (o.status == STATUS_PROGRESS) {
            long progressTime = clock.getAsLong();
            if (nextTime <= progressTime) {
                printXferStats(progressTime);
                nextTime += XTIME_PRECISION;
            }
        }
    }

    /** Before a final sync: a last progress line if bytes were written since the previous one. */
    void progressBeforeSync() {
        if (o.status == STATUS_PROGRESS && 0 <= reportedWBytes && reportedWBytes < wBytes) {
            printXferStats(0);
        }
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

    /** print_stats: records in and out, truncated records, and the transfer line. */
    void printStats() {
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
}
