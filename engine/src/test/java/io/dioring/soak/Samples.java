package io.dioring.soak;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.management.ObjectName;

/**
 * Samples of the process's resources and the engines' counters, and the verdict: open
 * descriptors, resident memory, native memory (NMT's committed total, when the JVM runs with
 * -XX:NativeMemoryTracking=summary), platform threads. Growth from the first sample (after
 * warm-up) to the last beyond start-up noise fails the soak.
 */
final class Samples {
    /** Allowed growth: a few descriptors and threads (a restart in progress), 64 MiB of memory. */
    static final int FD_GROWTH_MAX = 8;
    static final int THREAD_GROWTH_MAX = 4;
    static final long MEMORY_GROWTH_MAX_MIB = 64;
    private static final Pattern NMT_COMMITTED = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB");

    record Sample(long ops, int fds, long rssMib, long nativeMib, int threads, List<String> fdTargets) {}

    private final Tally tally;
    private final List<Soak.Slot> slots;

    Samples(Tally tally, List<Soak.Slot> slots) {
        this.tally = tally;
        this.slots = slots;
    }

    Sample take(String label) {
        List<String> targets = fdTargets();
        Sample s = new Sample(tally.ops.get(), targets.size(), rssMib(), nativeMib(),
                ManagementFactory.getThreadMXBean().getThreadCount(), targets);
        StringBuilder engines = new StringBuilder();
        for (Soak.Slot slot : slots) {
            var e = slot.engine;
            long extending = 0;
            long holds = 0;
            for (SoakFile f : slot.files) {
                var file = f.file;
                extending += file.extendingWrites();
                holds += file.orderingHolds();
            }
            engines.append(String.format(" | %s gen %d: slices %d, coalesced %d, enters %d, buffers taken %d,"
                    + " extending writes %d, ordering holds %d", slot.backend, slot.generation, e.slicesIssued(),
                    e.coalescedRequests(), e.enterCalls(), e.buffers().takenCount(), extending, holds));
        }
        System.out.printf("soak %s: %d ops, %d lost, %d corrupt, %d expected EIO, fds %d, rss %d MiB, native %s,"
                + " threads %d%s%n", label, s.ops, tally.lost.get(), tally.corrupt.get(), tally.expectedErrors.get(),
                s.fds, s.rssMib, s.nativeMib < 0 ? "n/a (run with -XX:NativeMemoryTracking=summary)"
                        : s.nativeMib + " MiB", s.threads, engines);
        return s;
    }

    /** Prints the last line and returns whether the soak passed. */
    boolean verdict(Sample first, Sample last) {
        StringBuilder why = new StringBuilder();
        List<String> added = new java.util.ArrayList<>(last.fdTargets);
        first.fdTargets.forEach(added::remove);
        if (!added.isEmpty()) {
            System.out.println("soak: descriptors open at the end and not at the start: " + added);
        }
        // Jars the class loader opens on first use are the JVM's start-up, not the engine's.
        long grown = added.stream().filter(t -> !t.endsWith(".jar")).count();
        if (grown > FD_GROWTH_MAX) {
            why.append(" descriptors grew by ").append(grown).append(" (jars aside);");
        }
        if (last.threads - first.threads > THREAD_GROWTH_MAX) {
            why.append(" threads grew by ").append(last.threads - first.threads).append(';');
        }
        if (last.rssMib - first.rssMib > MEMORY_GROWTH_MAX_MIB) {
            why.append(" RSS grew by ").append(last.rssMib - first.rssMib).append(" MiB;");
        }
        if (first.nativeMib >= 0 && last.nativeMib - first.nativeMib > MEMORY_GROWTH_MAX_MIB) {
            why.append(" native memory grew by ").append(last.nativeMib - first.nativeMib).append(" MiB;");
        }
        boolean pass = tally.lost.get() == 0 && tally.corrupt.get() == 0 && why.isEmpty() && last.ops > 0;
        if (!why.isEmpty()) {
            System.out.println("soak: growth beyond start-up noise:" + why);
        }
        System.out.printf("soak: %d ops, %d lost, %d corrupt, fds %d->%d, rss %d->%d MiB, threads %d->%d: %s%n",
                last.ops, tally.lost.get(), tally.corrupt.get(), first.fds, last.fds, first.rssMib, last.rssMib,
                first.threads, last.threads, pass ? "PASS" : "FAIL");
        return pass;
    }

    /** What each open descriptor refers to (its /proc/self/fd link). */
    private static List<String> fdTargets() {
        List<String> targets = new java.util.ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) s::iterator) {
                try {
                    targets.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    // closed since listed
                }
            }
        } catch (IOException e) {
            // no /proc: an empty list
        }
        return targets;
    }

    private static long rssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return -1;
    }

    /** NMT's committed total in MiB, or -1 when native memory tracking is off. */
    private static long nativeMib() {
        try {
            Object out = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
            Matcher m = NMT_COMMITTED.matcher(String.valueOf(out));
            return m.find() ? Long.parseLong(m.group(2)) / 1024 : -1;
        } catch (Exception e) {
            return -1;
        }
    }
}
