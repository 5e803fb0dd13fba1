package io.dioring.misuse;

import static io.dioring.misuse.Fixture.BLOCK;
import static io.dioring.misuse.Fixture.CLOSE_LIMIT;

import io.dioring.CompletionHandler;
import io.dioring.CompletionMode;
import io.dioring.DirectFile;
import io.dioring.EngineConfig;
import io.dioring.IoEngine;
import io.dioring.child.Fds;
import io.dioring.child.Report;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Case e: fsync/fdatasync are barriers. Args: dir, DEFERRED|INLINE, {@link Variant}. 2000
 * times: a write inside the file's size (not awaited), then the sync; when the sync's
 * future completes, the write must already have completed. Records {@code violations} out
 * of {@code iterations}, and the first failure if any request failed.
 */
public final class FsyncBarrierSubject {
    private static final int ITERATIONS = 2000;
    private static final int BLOCKS = 64;
    private static final Duration WHOLE_LOOP = Duration.ofSeconds(40);

    /** Which API writes and which sync follows. */
    public enum Variant { FUTURE_WRITE_FSYNC, FUTURE_WRITE_FDATASYNC, CALLBACK_WRITE_FSYNC }

    private FsyncBarrierSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            Path data = Files.write(Path.of(args[0]).resolve("synced"), new byte[BLOCKS * BLOCK]);
            CompletionMode mode = CompletionMode.valueOf(args[1]);
            Variant variant = Variant.valueOf(args[2]);
            Map<Integer, String> before = Fixture.fdsBeforeEngine(report);
            IoEngine engine = IoEngine.create(EngineConfig.defaults().withCompletionMode(mode));
            DirectFile file = engine.open(data, StandardOpenOption.WRITE);
            MemorySegment buf = engine.buffers().allocate(BLOCK);
            Fixture.fill(buf, 9);
            CompletionHandler<AtomicBoolean> markDone = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, AtomicBoolean done) {
                    done.set(true);
                }

                @Override
                public void failed(Throwable failure, AtomicBoolean done) {
                    report.put("writeFailure", Fixture.describe(failure));
                    done.set(true);
                }
            };
            int[] violations = new int[1];
            int[] iterations = new int[1];
            report.within(WHOLE_LOOP, ITERATIONS + " writes each followed by a sync", () -> {
                for (int i = 0; i < ITERATIONS; i++) {
                    long offset = (long) (i % BLOCKS) * BLOCK;
                    if (variant == Variant.CALLBACK_WRITE_FSYNC) {
                        AtomicBoolean done = new AtomicBoolean();
                        file.write(offset, buf, done, markDone);
                        file.fsync().get(Fixture.SHORT.toMillis(), TimeUnit.MILLISECONDS);
                        if (!done.get()) {
                            violations[0]++;
                        }
                        awaitDone(done);
                    } else {
                        CompletableFuture<Long> w = file.write(offset, buf);
                        CompletableFuture<Long> f = variant == Variant.FUTURE_WRITE_FSYNC ? file.fsync()
                                : file.fdatasync();
                        f.get(Fixture.SHORT.toMillis(), TimeUnit.MILLISECONDS);
                        if (!w.isDone()) {
                            violations[0]++;
                        }
                        w.get(Fixture.SHORT.toMillis(), TimeUnit.MILLISECONDS);
                    }
                    iterations[0]++;
                }
            });
            report.put("iterations", iterations[0]).put("violations", violations[0]);
            report.within(CLOSE_LIMIT, "file.close()", file::close);
            report.within(CLOSE_LIMIT, "engine.close()", engine::close);
            Fds.compare(report, before);
        });
    }

    private static void awaitDone(AtomicBoolean done) {
        long deadline = System.nanoTime() + Fixture.SHORT.toNanos();
        while (!done.get()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the write's callback did not run within 5 s");
            }
            LockSupport.parkNanos(10_000);
        }
    }
}
