package io.dioring.tools.bench;

import io.dioring.Backend;
import io.dioring.DirectFile;
import io.dioring.DirectIoPolicy;
import io.dioring.EngineConfig;
import io.dioring.IoEngine;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dioring bench}: a fio-like load generator on the engine's owner-driven path.
 *
 * <p>Exit status: 0 on success, 1 when the run fails (I/O error, io_uring unavailable),
 * 2 on bad input (the message names the value and the rule).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures a file with direct I/O through io_uring, as fio would (IOPS, bandwidth, "
                + "latency percentiles, I/Os per io_uring_enter, CPU time). A status line on stderr once a "
                + "second when stderr is a terminal (never with --json).")
public final class BenchCommand implements Callable<Integer> {
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int MAX_QD = 4096;
    static final int MAX_JOBS = 256;
    static final Duration STATUS_INTERVAL = Duration.ofSeconds(1);

    @Spec
    private CommandSpec spec;

    @Option(names = "--file", required = true, paramLabel = "PATH",
            description = "The file to measure; created and filled with random data when missing or shorter "
                    + "than --size.")
    private Path file;

    @Option(names = "--size", required = true, paramLabel = "SIZE",
            description = "Bytes of the file to use, e.g. 256m (suffixes k, m, g, t: powers of 1024).")
    private String size;

    @Option(names = "--rw", required = true, paramLabel = "PATTERN",
            description = "randread, randwrite, read, write or randrw (random, half reads, half writes).")
    private String rw;

    @Option(names = "--bs", required = true, paramLabel = "BS",
            description = "Bytes per I/O, e.g. 4k; a multiple of the file's O_DIRECT alignment.")
    private String bs;

    @Option(names = "--qd", required = true, paramLabel = "N", description = "I/Os in flight per job.")
    private int qd;

    @Option(names = "--runtime", required = true, paramLabel = "SECONDS",
            description = "How long to run, in seconds (decimals allowed).")
    private double runtimeSeconds;

    @Option(names = "--jobs", defaultValue = "1", paramLabel = "N",
            description = "Jobs (platform threads, one ring each); default ${DEFAULT-VALUE}.")
    private int jobs;

    @Option(names = "--json", description = "Print exactly one JSON line instead of the human report.")
    private boolean json;

    @Option(names = "--hist", paramLabel = "FILE",
            description = "Also write the run's latency distribution to FILE in HdrHistogram's percentile "
                    + "format (.hgrm, microseconds), for 'dioring plot'.")
    private Path histogramFile;

    @Option(names = "--no-direct", description = "Go through the page cache (no O_DIRECT).")
    private boolean noDirect;

    @Option(names = "--no-fixed-buffers",
            description = "Do not register the jobs' buffers with their rings (plain READ/WRITE instead of "
                    + "READ_FIXED/WRITE_FIXED).")
    private boolean noFixedBuffers;

    @Option(names = "--submit-batch", defaultValue = "1", paramLabel = "N",
            description = "Requests the completion handlers queue before they are submitted, as fio's "
                    + "iodepth_batch_submit: 1 submits each at once, 0 once per reap; default ${DEFAULT-VALUE}.")
    private int submitBatch;

    @Option(names = "--engine", defaultValue = "auto", paramLabel = "ENGINE",
            description = "io_uring, threads (a pool of platform threads making pread/pwrite) or auto: io_uring "
                    + "where it can be set up, else threads; as fio's --ioengine. Default ${DEFAULT-VALUE}.")
    private String engineName;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
            description = "Seed of the offset generator and, with --verify, the run seed in every block's header "
                    + "(--verify-only must be given the same); default ${DEFAULT-VALUE}.")
    private long seed;

    @Option(names = "--verify",
            description = "As fio's verify=crc32c: after the run, write every block of --size with a header "
                    + "(magic, offset, --seed, the block's crc32c), read each back and check it, with --jobs jobs "
                    + "of --qd I/Os; exit 1 naming the offset on a mismatch.")
    private boolean verify;

    @Option(names = "--verify-only",
            description = "Read and check every block a previous --verify run wrote (same --bs, --size, --seed); "
                    + "no timed run, nothing written. --rw and --runtime are then ignored.")
    private boolean verifyOnly;

    /** Whether stderr is a terminal; a seam so tests can pretend it is one. */
    BooleanSupplier stderrIsTerminal = () -> Terminal.isTerminal(Terminal.STDERR_FD);

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchParameters p;
        try {
            p = validate();
        } catch (IllegalArgumentException e) {
            err.println("dioring bench: " + e.getMessage());
            err.flush();
            return EXIT_USAGE;
        }
        // --engine io_uring where it is unavailable fails in create(): "io_uring is unavailable: <cause>".
        try (IoEngine engine = IoEngine.create(EngineConfig.defaults().withBackend(backend()))) {
            boolean existed = Files.exists(file);
            DirectFile f = open(engine, p, existed);
            try {
                if (p.bs() % f.offsetAlignment() != 0) {
                    f.close();
                    if (!existed) {
                        Files.deleteIfExists(file);
                    }
                    err.println("dioring bench: --bs " + p.bs() + ": must be a multiple of " + f.offsetAlignment()
                            + ", the O_DIRECT alignment of " + file + " (from " + f.alignment().source() + ")");
                    err.flush();
                    return EXIT_USAGE;
                }
                if (verifyOnly || verify) {
                    Integer status = verify(engine, f, p, out, err);
                    if (status != null) {
                        return status;
                    }
                }
                long written = BenchFile.fill(engine, f, p.size());
                if (written > 0 && !json) {
                    out.println("laid out " + file + ": wrote " + written + " bytes of random data");
                }
                BenchReport report = run(engine, f, p);
                if (report.failure() != null) {
                    err.println("dioring bench: " + report.failure().getMessage());
                    err.flush();
                    return EXIT_FAILED;
                }
                report.backend(engine.backend());
                if (histogramFile != null) {
                    String where = (f.isDirect() ? "O_DIRECT" : "page cache") + " on "
                            + file.toString().replaceAll("[\\r\\n]", "?");
                    LatencyDistributionFile.write(histogramFile, report.latency(),
                            BenchReport.parameters(p) + " " + where);
                }
                out.println(json ? report.json() : report.human(file, f));
                out.flush();
                return verify ? verifyPass(engine, f, p, out, err) : 0;
            } finally {
                f.close();
            }
        } catch (IOException | RuntimeException e) {
            err.println("dioring bench: " + e.getMessage());
            err.flush();
            return EXIT_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("dioring bench: interrupted");
            err.flush();
            return EXIT_FAILED;
        }
    }

    /** --verify-only: the check alone (a status); --verify: nothing yet (null), the pass follows the run. */
    private Integer verify(IoEngine engine, DirectFile f, BenchParameters p, PrintWriter out, PrintWriter err)
            throws IOException {
        if (!verifyOnly) {
            return null;
        }
        if (Files.size(file) < p.size()) {
            err.println("dioring bench: --verify-only: " + file + " holds " + Files.size(file) + " bytes, fewer than "
                    + "--size " + p.size() + ": it was not written by --verify with this --size");
            err.flush();
            return EXIT_FAILED;
        }
        return check(engine, f, p, out, err);
    }

    private int verifyPass(IoEngine engine, DirectFile f, BenchParameters p, PrintWriter out, PrintWriter err) {
        BlockVerifier v = new BlockVerifier(engine, f, p.bs(), p.size() / p.bs(), p.qd(), p.jobs(), seed);
        try {
            long bytes = v.writeAll();
            if (!json) {
                out.println("verify: wrote " + bytes + " bytes in " + p.size() / p.bs() + " blocks with headers");
            }
        } catch (Exception e) {
            err.println("dioring bench: verify write: " + e.getMessage());
            err.flush();
            return EXIT_FAILED;
        }
        return check(engine, f, p, out, err);
    }

    private int check(IoEngine engine, DirectFile f, BenchParameters p, PrintWriter out, PrintWriter err) {
        BlockVerifier v = new BlockVerifier(engine, f, p.bs(), p.size() / p.bs(), p.qd(), p.jobs(), seed);
        try {
            long bytes = v.checkAll();
            if (!json) {
                out.println("verify: " + p.size() / p.bs() + " blocks (" + bytes + " bytes) checked, all correct");
                out.flush();
            }
            return 0;
        } catch (Exception e) {
            err.println("dioring bench: " + e.getMessage());
            err.flush();
            return EXIT_FAILED;
        }
    }

    /** The options, checked: each error names the option, the value and the rule. */
    BenchParameters validate() {
        Workload workload = Workload.parse(rw);
        long bsBytes = parseSize("--bs", bs);
        long sizeBytes = parseSize("--size", size);
        if (bsBytes <= 0 || bsBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--bs " + bs + ": must be between 1 byte and 2 GiB - 1");
        }
        if (sizeBytes < bsBytes) {
            throw new IllegalArgumentException("--size " + size + " (" + sizeBytes + " bytes) is smaller than --bs "
                    + bs + " (" + bsBytes + " bytes): the file must hold at least one block");
        }
        if (qd < 1 || qd > MAX_QD) {
            throw new IllegalArgumentException("--qd " + qd + ": must be in [1, " + MAX_QD + "]");
        }
        if (jobs < 1 || jobs > MAX_JOBS) {
            throw new IllegalArgumentException("--jobs " + jobs + ": must be in [1, " + MAX_JOBS + "]");
        }
        if (!(runtimeSeconds > 0) || runtimeSeconds > 365 * 24 * 3600.0) {
            throw new IllegalArgumentException("--runtime " + runtimeSeconds + ": must be a positive number of "
                    + "seconds (at most a year)");
        }
        backend(); // checks --engine
        if (submitBatch < 0 || submitBatch > qd) {
            throw new IllegalArgumentException("--submit-batch " + submitBatch + ": must be in [0, --qd " + qd
                    + "] (0 submits once per reap)");
        }
        if (verify && verifyOnly) {
            throw new IllegalArgumentException("--verify and --verify-only: give one (--verify writes and checks, "
                    + "--verify-only checks what a --verify run wrote)");
        }
        if ((verify || verifyOnly) && bsBytes < BlockVerifier.HEADER) {
            throw new IllegalArgumentException("--bs " + bs + ": --verify needs blocks of at least "
                    + BlockVerifier.HEADER + " bytes (the header)");
        }
        return new BenchParameters(workload, (int) bsBytes, sizeBytes, qd, jobs,
                (long) (runtimeSeconds * 1e9), !noFixedBuffers, submitBatch);
    }

    private Backend backend() {
        return switch (engineName) {
            case "auto" -> Backend.AUTO;
            case "io_uring" -> Backend.IO_URING;
            case "threads" -> Backend.THREADS;
            default -> throw new IllegalArgumentException("--engine " + engineName
                    + ": must be io_uring, threads or auto");
        };
    }

    private static long parseSize(String option, String text) {
        try {
            return Sizes.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + e.getMessage());
        }
    }

    private DirectFile open(IoEngine engine, BenchParameters p, boolean existed) throws IOException {
        DirectIoPolicy policy = noDirect ? DirectIoPolicy.OFF : DirectIoPolicy.REQUIRED;
        if (verifyOnly) {
            return engine.open(file, StandardOpenOption.READ, policy);
        }
        boolean bigEnough = existed && Files.size(file) >= p.size();
        if (bigEnough && !p.workload().writes()) {
            return engine.open(file, StandardOpenOption.READ, policy);
        }
        return engine.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                policy);
    }

    /** Joins every job, redrawing the status line (when there is one) once a second meanwhile. */
    private static void awaitJobs(List<Thread> threads, LiveStatus status) throws InterruptedException {
        if (status == null) {
            for (Thread t : threads) {
                t.join();
            }
            return;
        }
        long next = System.nanoTime() + STATUS_INTERVAL.toNanos();
        for (Thread t : threads) {
            while (!t.join(Duration.ofNanos(Math.max(1, next - System.nanoTime())))) {
                status.update(System.nanoTime());
                next += STATUS_INTERVAL.toNanos();
            }
        }
        status.clear();
    }

    private BenchReport run(IoEngine engine, DirectFile f, BenchParameters p) throws InterruptedException {
        long blocks = p.size() / p.bs();
        CountDownLatch ready = new CountDownLatch(p.jobs());
        CountDownLatch go = new CountDownLatch(1);
        List<BenchJob> list = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < p.jobs(); i++) {
            BenchJob job = new BenchJob(engine, f, p.workload(), p.bs(), p.qd(), blocks, p.runtimeNanos(),
                    p.fixedBuffers(), p.submitBatch(), i, p.jobs(), seed, ready, go);
            list.add(job);
            threads.add(Thread.ofPlatform().name("dioring-bench-" + i).start(job));
        }
        ready.await();
        Optional<Duration> cpuBefore = ProcessHandle.current().info().totalCpuDuration();
        LiveStatus status = StatusLinePolicy.shows(json, stderrIsTerminal.getAsBoolean())
                ? new LiveStatus(spec.commandLine().getErr(), p, list, System.nanoTime()) : null;
        go.countDown();
        awaitJobs(threads, status);
        Optional<Duration> cpuAfter = ProcessHandle.current().info().totalCpuDuration();
        long processCpuNanos = cpuBefore.isPresent() && cpuAfter.isPresent()
                ? cpuAfter.get().minus(cpuBefore.get()).toNanos() : -1;
        return BenchReport.merge(p, list, processCpuNanos);
    }
}
