package io.dioring.jmh;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler for the CPU an operation costs the whole process, every thread counted:
 * the benchmark's threads, the engine's ring and completion threads, virtual-thread
 * carriers, the JIT and the GC. Use it with any benchmark:
 * <pre>
 * java -jar jmh/target/benchmarks.jar VirtualThreadRandomRead -prof io.dioring.jmh.CpuPerOp
 * </pre>
 * Per iteration it reports:
 * <ul>
 *   <li>{@code cpu.us/op}: process CPU time (user + system) over the iteration divided by the
 *       operations of all the benchmark's threads in it,
 *   <li>{@code cpu.sys.us/op}: the system (kernel) part of it, from {@code /proc/self/stat}
 *       (clock ticks, so coarse for short iterations),
 *   <li>{@code threads.live}: platform threads alive at the end of the iteration (virtual
 *       threads are not counted; their carriers are),
 *   <li>{@code threads.peak}: the most platform threads alive at once since the fork's JVM
 *       started.
 * </ul>
 * The operations are JMH's {@code allOps} ({@link org.openjdk.jmh.results.IterationResultMetaData#getAllOps}):
 * summed over the benchmark's threads, multiplied by {@code @OperationsPerInvocation}, and,
 * unlike {@code measuredOps}, including those done while JMH synchronises the threads'
 * start and stop, which is when the process CPU is also being counted. A benchmark whose
 * own threads keep working between invocations (VirtualThreadRandomRead's readers) counts
 * the operations it reports through {@code @OperationsPerInvocation}, which agree with the
 * work done within a few invocations per iteration.
 */
public final class CpuPerOp implements InternalProfiler {
    private static final Path PROC_STAT = Path.of("/proc/self/stat");
    /** USER_HZ: Linux reports utime/stime in 1/100 s on every architecture Java runs on. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private long cpuStartNanos;
    private long sysStartTicks;

    @Override
    public String getDescription() {
        return "process CPU time (user + system, all threads) per operation, and platform threads";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        sysStartTicks = systemTicks();
        cpuStartNanos = os.getProcessCpuTime();
    }

    @Override
    public List<? extends Result<?>> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
            IterationResult result) {
        long cpuNanos = os.getProcessCpuTime() - cpuStartNanos;
        long sysTicks = systemTicks() - sysStartTicks;
        long ops = result.getMetadata().getAllOps();
        double cpuPerOp = ops > 0 ? cpuNanos / 1000.0 / ops : Double.NaN;
        double sysPerOp = ops > 0 && sysStartTicks >= 0 ? sysTicks * (NANOS_PER_TICK / 1000.0) / ops : Double.NaN;
        return List.of(
                new ScalarResult("cpu.us/op", cpuPerOp, "us/op", AggregationPolicy.AVG),
                new ScalarResult("cpu.sys.us/op", sysPerOp, "us/op", AggregationPolicy.AVG),
                new ScalarResult("threads.live", threads.getThreadCount(), "threads", AggregationPolicy.MAX),
                new ScalarResult("threads.peak", threads.getPeakThreadCount(), "threads", AggregationPolicy.MAX));
    }

    /** The process's system time in clock ticks (field 15 of /proc/self/stat), or -1 off Linux. */
    static long systemTicks() {
        try {
            return systemTicks(Files.readString(PROC_STAT));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Field 15 (stime) of a /proc/PID/stat line; the command name (field 2) may hold spaces. */
    static long systemTicks(String statLine) {
        String afterName = statLine.substring(statLine.lastIndexOf(')') + 2);
        // afterName starts at field 3 (state); stime is field 15, so index 12 here.
        return Long.parseLong(afterName.split(" ")[12]);
    }
}
