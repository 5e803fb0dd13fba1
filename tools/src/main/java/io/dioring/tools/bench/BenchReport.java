package io.dioring.tools.bench;

import io.dioring.Backend;
import io.dioring.DirectFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/** The merged outcome of every job, as a human report or one JSON line. */
final class BenchReport {
    private final BenchParameters p;
    private final Histogram latency = new Histogram(BenchJob.MAX_TRACKED_LATENCY_NS, 3);
    private long ios;
    private long bytes;
    private long enterCalls;
    private long fixedIssued;
    private long elapsedNanos;
    private long jobCpuNanos;
    private final long processCpuNanos;
    private Throwable failure;
    private Backend backend = Backend.IO_URING;

    private BenchReport(BenchParameters p, long processCpuNanos) {
        this.p = p;
        this.processCpuNanos = processCpuNanos;
    }

    static BenchReport merge(BenchParameters p, List<BenchJob> jobs, long processCpuNanos) {
        BenchReport r = new BenchReport(p, processCpuNanos);
        for (BenchJob j : jobs) {
            if (j.failure() != null && r.failure == null) {
                r.failure = j.failure();
            }
            r.latency.add(j.latency());
            r.ios += j.ios();
            r.bytes += j.bytes();
            r.enterCalls += j.enterCalls();
            r.fixedIssued += j.fixedIssued();
            r.elapsedNanos = Math.max(r.elapsedNanos, j.elapsedNanos());
            if (j.cpuNanos() < 0 || r.jobCpuNanos < 0) {
                r.jobCpuNanos = -1;
            } else {
                r.jobCpuNanos += j.cpuNanos();
            }
        }
        return r;
    }

    /** Which backend ran the jobs (named in both reports). */
    void backend(Backend b) {
        backend = b;
    }

    Throwable failure() {
        return failure;
    }

    /** Every job's latencies, in nanoseconds. */
    Histogram latency() {
        return latency;
    }

    /** The run's parameters in one line, as the report's first line and the .hgrm header say them. */
    static String parameters(BenchParameters p) {
        return String.format(Locale.ROOT, "%s bs=%s qd=%d jobs=%d size=%s runtime=%ss", p.workload().fioName(),
                Sizes.format(p.bs()), p.qd(), p.jobs(), Sizes.format(p.size()), seconds(p.runtimeNanos()));
    }

    private static String seconds(long nanos) {
        String s = String.format(Locale.ROOT, "%.3f", nanos / 1e9);
        return s.replaceAll("\\.?0+$", "");
    }

    double iops() {
        return elapsedNanos == 0 ? 0 : ios * 1e9 / elapsedNanos;
    }

    double bandwidthBytesPerSecond() {
        return elapsedNanos == 0 ? 0 : bytes * 1e9 / elapsedNanos;
    }

    double iosPerEnter() {
        return enterCalls == 0 ? 0 : (double) ios / enterCalls;
    }

    long percentile(double pct) {
        return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(pct);
    }

    /** Exactly one line, no trailing newline. */
    String json() {
        return String.format(Locale.ROOT,
                "{\"rw\":\"%s\",\"bs\":%d,\"qd\":%d,\"iops\":%.1f,\"bandwidth_bytes_per_s\":%d,"
                        + "\"latency_ns\":{\"p50\":%d,\"p99\":%d,\"p99_9\":%d,\"max\":%d},\"ios_per_enter\":%.3f,"
                        + "\"backend\":\"%s\"}",
                p.workload().fioName(), p.bs(), p.qd(), iops(), Math.round(bandwidthBytesPerSecond()),
                percentile(50), percentile(99), percentile(99.9), latency.getMaxValue(), iosPerEnter(), backendName());
    }

    String human(Path path, DirectFile f) {
        double seconds = elapsedNanos / 1e9;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s bs=%s qd=%d jobs=%d size=%s on %s (%s)%n", p.workload().fioName(),
                Sizes.format(p.bs()), p.qd(), p.jobs(), Sizes.format(p.size()), path,
                f.isDirect() ? "O_DIRECT, alignment " + f.offsetAlignment() + " from " + f.alignment().source()
                        : "page cache"));
        b.append(String.format(Locale.ROOT, "  engine   : %s%n", backend == Backend.THREADS
                ? "threads (pread/pwrite on a pool of platform threads)" : "io_uring"));
        b.append(String.format(Locale.ROOT, "  time     : %.2f s, %d I/Os, %d bytes%n", seconds, ios, bytes));
        b.append(String.format(Locale.ROOT, "  iops     : %.1f%n", iops()));
        b.append(String.format(Locale.ROOT, "  bandwidth: %.1f MiB/s (%d B/s)%n",
                bandwidthBytesPerSecond() / (1 << 20), Math.round(bandwidthBytesPerSecond())));
        b.append(String.format(Locale.ROOT, "  latency  : p50 %s  p99 %s  p99.9 %s  max %s%n", us(percentile(50)),
                us(percentile(99)), us(percentile(99.9)), us(latency.getMaxValue())));
        b.append(backend == Backend.THREADS ? String.format(Locale.ROOT, "  io_uring : not in use%n")
                : String.format(Locale.ROOT, "  io_uring : %.2f I/Os per io_uring_enter (%d enters)%n", iosPerEnter(),
                enterCalls));
        b.append(p.fixedBuffers()
                ? String.format(Locale.ROOT, "  buffers  : registered, %d READ_FIXED/WRITE_FIXED SQEs%n", fixedIssued)
                : String.format(Locale.ROOT, "  buffers  : not registered (--no-fixed-buffers)%n"));
        b.append("  cpu      : ");
        if (jobCpuNanos >= 0) {
            b.append(String.format(Locale.ROOT, "job threads %.2f s (%.1f%% of one core)", jobCpuNanos / 1e9,
                    seconds == 0 ? 0 : 100.0 * jobCpuNanos / elapsedNanos));
        } else {
            b.append("job threads unknown (no thread CPU time in this JVM)");
        }
        if (processCpuNanos >= 0) {
            b.append(String.format(Locale.ROOT, ", whole process %.2f s", processCpuNanos / 1e9));
        }
        return b.toString();
    }

    private String backendName() {
        return backend == Backend.THREADS ? "threads" : "io_uring";
    }

    private static String us(long ns) {
        return String.format(Locale.ROOT, "%.1f us", ns / 1000.0);
    }
}
