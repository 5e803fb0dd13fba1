package io.dioring.tools.bench;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * The status line a watching person sees once a second, in fio's spirit:
 * {@code [randread 4KiB qd=32 jobs=1][ 40.0%][elapsed 00m:24s][eta 00m:36s][102.4k IOPS][400.0 MiB/s]}.
 * IOPS and bandwidth are over the last interval, as fio's are. The line is redrawn in place
 * with a carriage return, so it is only for terminals (see {@link StatusLinePolicy}).
 */
final class LiveStatus {
    /** Erases from the cursor to the end of the line (ANSI EL), after the carriage return. */
    private static final String ERASE_LINE = "\r\u001b[K";

    private final PrintWriter err;
    private final BenchParameters p;
    private final List<BenchJob> jobs;
    private final long startNanos;
    private long lastNanos;
    private long lastIos;
    private long lastBytes;
    private boolean drawn;

    LiveStatus(PrintWriter err, BenchParameters p, List<BenchJob> jobs, long startNanos) {
        this.err = err;
        this.p = p;
        this.jobs = jobs;
        this.startNanos = startNanos;
        this.lastNanos = startNanos;
    }

    /** Redraws the line for the interval since the previous call. */
    void update(long nowNanos) {
        long ios = 0;
        long bytes = 0;
        for (BenchJob j : jobs) {
            ios += j.progressIos();
            bytes += j.progressBytes();
        }
        long interval = Math.max(1, nowNanos - lastNanos);
        String line = line(p, nowNanos - startNanos, (ios - lastIos) * 1e9 / interval,
                (bytes - lastBytes) * 1e9 / interval);
        lastNanos = nowNanos;
        lastIos = ios;
        lastBytes = bytes;
        err.print(ERASE_LINE + line);
        err.flush();
        drawn = true;
    }

    /** Removes the line so the report starts on a clean one. */
    void clear() {
        if (drawn) {
            err.print(ERASE_LINE);
            err.flush();
        }
    }

    static String line(BenchParameters p, long elapsedNanos, double iops, double bytesPerSecond) {
        long elapsed = Math.min(elapsedNanos, p.runtimeNanos());
        double percent = 100.0 * elapsed / p.runtimeNanos();
        return String.format(Locale.ROOT, "[%s %s qd=%d jobs=%d][%5.1f%%][elapsed %s][eta %s][%s IOPS][%.1f MiB/s]",
                p.workload().fioName(), Sizes.format(p.bs()), p.qd(), p.jobs(), percent, minutesSeconds(elapsed),
                minutesSeconds(p.runtimeNanos() - elapsed), count(iops), bytesPerSecond / (1 << 20));
    }

    private static String minutesSeconds(long nanos) {
        long s = Math.round(nanos / 1e9);
        return String.format(Locale.ROOT, "%02dm:%02ds", s / 60, s % 60);
    }

    private static String count(double n) {
        if (n >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", n / 1e6);
        }
        if (n >= 1e3) {
            return String.format(Locale.ROOT, "%.1fk", n / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", n);
    }
}
