package io.dioring.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The platform threads of a benchmark's JVM, for the line a benchmark prints after each
 * iteration (outside what it measures): how many are live and at most were, how many carry
 * virtual threads (the ForkJoinPool's workers), how many are the engine's ({@code dioring-}),
 * and which others started since {@link #start}.
 */
final class ThreadCensus {
    private final ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    private int before;
    private Set<Thread> atStart = Set.of();

    /** What one count found. */
    record Count(int live, int peak, int carriers, int engine, List<String> others, int before) {}

    /** At set-up, before the benchmark's threads start: remembers the threads alive and resets the peak. */
    void start() {
        before = bean.getThreadCount();
        atStart = Thread.getAllStackTraces().keySet();
        bean.resetPeakThreadCount();
    }

    /** Counts the threads alive now. */
    Count count() {
        int carriers = 0;
        int engine = 0;
        List<String> others = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("ForkJoinPool-") && t.getName().contains("worker")) {
                carriers++;
            } else if (t.getName().startsWith("dioring-")) {
                engine++;
            } else if (!atStart.contains(t)) {
                others.add(t.getName());
            }
        }
        return new Count(bean.getThreadCount(), bean.getPeakThreadCount(), carriers, engine, others, before);
    }
}
