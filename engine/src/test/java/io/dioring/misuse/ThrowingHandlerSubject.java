package io.dioring.misuse;

import static io.dioring.misuse.Fixture.BLOCK;
import static io.dioring.misuse.Fixture.CLOSE_LIMIT;
import static io.dioring.misuse.Fixture.SHORT;

import io.dioring.CompletionHandler;
import io.dioring.CompletionMode;
import io.dioring.DirectFile;
import io.dioring.EngineConfig;
import io.dioring.IoEngine;
import io.dioring.child.Fds;
import io.dioring.child.Report;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * Case f: completion handlers that throw. Args: dir, DEFERRED|INLINE, RUNTIME|ERROR. Ten
 * handlers throw (a RuntimeException, or an AssertionError), then 1000 further reads must
 * complete. Records {@code thrown}, {@code reported} (how many of the thrown ones reached
 * an uncaught-exception handler), {@code furtherCompleted}, and the ring threads alive.
 */
public final class ThrowingHandlerSubject {
    private static final int THROWING = 10;
    private static final int FURTHER = 1000;
    private static final int BLOCKS = 16;

    private ThrowingHandlerSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            Path data = Fixture.patternFile(Path.of(args[0]), "data", BLOCKS);
            CompletionMode mode = CompletionMode.valueOf(args[1]);
            boolean error = args[2].equals("ERROR");
            Set<Throwable> reported = ConcurrentHashMap.newKeySet();
            Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
                if (e.getMessage() != null && e.getMessage().startsWith("boom-")) {
                    reported.add(e);
                } else {
                    System.err.println("uncaught in " + t.getName() + ":");
                    e.printStackTrace();
                }
            });
            Map<Integer, String> before = Fixture.fdsBeforeEngine(report);
            IoEngine engine = IoEngine.create(EngineConfig.defaults().withCompletionMode(mode));
            DirectFile file = engine.open(data);
            MemorySegment buf = engine.buffers().allocate(BLOCK);

            CountDownLatch thrown = new CountDownLatch(THROWING);
            CompletionHandler<Integer> throwing = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Integer i) {
                    thrown.countDown();
                    if (error) {
                        throw new AssertionError("boom-" + i);
                    }
                    throw new IllegalStateException("boom-" + i);
                }

                @Override
                public void failed(Throwable failure, Integer i) {
                    report.put("throwingReadFailed", Fixture.describe(failure));
                }
            };
            for (int i = 0; i < THROWING; i++) {
                file.read((long) (i % BLOCKS) * BLOCK, buf, i, throwing);
            }
            report.within(SHORT, "the throwing handlers running", thrown::await);
            report.within(SHORT, "the thrown exceptions being reported", () -> {
                while (reported.size() < THROWING) {
                    Thread.sleep(1);
                }
            });

            CountDownLatch further = new CountDownLatch(FURTHER);
            int[] failed = new int[1];
            CompletionHandler<Void> counting = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Void a) {
                    further.countDown();
                }

                @Override
                public void failed(Throwable failure, Void a) {
                    synchronized (failed) {
                        failed[0]++;
                    }
                    further.countDown();
                }
            };
            Runnable tally = () -> report.put("thrown", THROWING - thrown.getCount()).put("reported", reported.size())
                    .put("furtherCompleted", FURTHER - further.getCount()).put("furtherFailed", failed[0])
                    .put("ringThreadsAlive", Thread.getAllStackTraces().keySet().stream()
                            .filter(t -> t.getName().startsWith("dioring-ring")).count());
            report.onHang(tally);
            report.within(CLOSE_LIMIT, FURTHER + " reads after the throwing handlers", () -> {
                for (int i = 0; i < FURTHER; i++) {
                    file.read((long) (i % BLOCKS) * BLOCK, buf, null, counting);
                }
                further.await();
            });
            tally.run();
            report.within(SHORT, "file.close()", file::close);
            report.within(CLOSE_LIMIT, "engine.close()", engine::close);
            Fds.compare(report, before);
        });
    }
}
