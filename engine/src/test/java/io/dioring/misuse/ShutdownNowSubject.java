package io.dioring.misuse;

import static io.dioring.misuse.Fixture.BLOCK;
import static io.dioring.misuse.Fixture.CLOSE_LIMIT;

import io.dioring.DirectFile;
import io.dioring.EngineConfig;
import io.dioring.IoEngine;
import io.dioring.child.Fds;
import io.dioring.child.Report;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Case b, a pool: eight threads read in a loop (half with {@code readFully}, half with
 * {@code read(...).get(...)}) through a submit queue of one place, so at any moment most of
 * them are blocked waiting for room; then {@code shutdownNow()} interrupts them all, as
 * StructuredTaskScope cancellation does. Each task ends at its first exception; the pool
 * gets half a second to end before the file is closed. Records how
 * the tasks ended ({@code tasksEndedBy}), the reads done before, whether {@code file.close()}
 * and {@code engine.close()} returned, {@code poolTerminated}, and the fd comparison.
 */
public final class ShutdownNowSubject {
    private static final int THREADS = 8;
    private static final int BLOCKS = 64;
    private static final java.time.Duration GRACE = java.time.Duration.ofMillis(500);

    private ShutdownNowSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            Path data = Fixture.patternFile(Path.of(args[0]), "data", BLOCKS);
            Map<Integer, String> before = Fixture.fdsBeforeEngine(report);
            IoEngine engine = IoEngine.create(EngineConfig.defaults().withRings(1).withQueueDepth(1)
                    .withSubmitQueueCapacity(1)); // one ring: all eight submitters share its one-place queue
            DirectFile file = engine.open(data);
            AtomicLong reads = new AtomicLong();
            Map<String, Integer> endedBy = new ConcurrentHashMap<>();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            for (int t = 0; t < THREADS; t++) {
                boolean blocking = t % 2 == 0;
                MemorySegment buf = engine.buffers().allocate(BLOCK);
                pool.execute(() -> {
                    long i = 0;
                    try {
                        while (true) {
                            long offset = (i++ % BLOCKS) * BLOCK;
                            if (blocking) {
                                file.readFully(offset, buf);
                            } else {
                                file.read(offset, buf).get(Fixture.SHORT.toMillis(), TimeUnit.MILLISECONDS);
                            }
                            reads.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        endedBy.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                    }
                });
            }
            report.within(Fixture.SHORT, "the tasks getting going", () -> {
                while (reads.get() < 200) {
                    Thread.sleep(1);
                }
            });
            report.put("readsBeforeShutdown", reads.get());
            report.onHang(() -> report.put("tasksEndedBy", new TreeMap<>(endedBy)));
            pool.shutdownNow();
            // As a caller would: give the tasks a moment to end before closing what they use.
            // Interrupted tasks loop back into a submit meanwhile, still interrupted.
            report.put("poolEndedBeforeClose", pool.awaitTermination(GRACE.toMillis(), TimeUnit.MILLISECONDS));
            report.within(CLOSE_LIMIT, "file.close() after shutdownNow()", file::close);
            report.within(CLOSE_LIMIT, "engine.close() after shutdownNow()", engine::close);
            report.put("poolTerminated", pool.awaitTermination(CLOSE_LIMIT.toMillis(), TimeUnit.MILLISECONDS));
            report.put("tasksEndedBy", new TreeMap<>(endedBy));
            Fds.compare(report, before);
        });
    }
}
