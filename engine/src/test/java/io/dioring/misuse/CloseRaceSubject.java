package io.dioring.misuse;

import static io.dioring.misuse.Fixture.BLOCK;
import static io.dioring.misuse.Fixture.CLOSE_LIMIT;
import static io.dioring.misuse.Fixture.SHORT;

import io.dioring.DirectFile;
import io.dioring.IoEngine;
import io.dioring.child.Fds;
import io.dioring.child.Report;
import io.dioring.testing.Callbacks;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Case c: {@code engine.close()} while two threads submit in a loop, one reading one file,
 * one writing (inside its size) another, each keeping every future it got and stopping at
 * its first exception. Records whether close returned, how each submitter ended
 * ({@code submitterEndedBy}), the futures' fates after close ({@code futuresPending},
 * {@code futuresOther}: completions other than a result, CancellationException or
 * IllegalStateException), what each kind of submit throws after close
 * ({@code afterClose.*}), and the fd comparison.
 */
public final class CloseRaceSubject {
    private static final int BLOCKS = 64;
    /** The race is narrow (a submit between the engine's closed check and its ring's); rounds widen the net. */
    static final int ROUNDS = 30;
    private static final int SUBMITS_BEFORE_CLOSE = 500;

    private CloseRaceSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            Path dir = Path.of(args[0]);
            Path readMe = Fixture.patternFile(dir, "read-me", BLOCKS);
            Path writeMe = Files.write(dir.resolve("write-me"), new byte[BLOCKS * BLOCK]);
            Map<Integer, String> before = Fixture.fdsBeforeEngine(report);
            Tally tally = new Tally();
            report.onHang(() -> tally.record(report));
            for (int round = 0; round < ROUNDS; round++) {
                report.put("round", round);
                oneRound(report, readMe, writeMe, tally);
            }
            tally.record(report);
            Fds.compare(report, before);
        });
    }

    /** One engine, two submitters, one close. */
    private static void oneRound(Report report, Path readMe, Path writeMe, Tally tally) throws Exception {
        IoEngine engine = IoEngine.create();
        DirectFile reader = engine.open(readMe);
        DirectFile writer = engine.open(writeMe, StandardOpenOption.WRITE);
        MemorySegment readBuf = engine.buffers().allocate(BLOCK);
        MemorySegment writeBuf = engine.buffers().allocate(BLOCK);
        Fixture.fill(writeBuf, 5);

        List<CompletableFuture<Long>> futures = new ArrayList<>();
        AtomicLong submitted = new AtomicLong();
        Thread[] submitters = new Thread[2];
        for (int s = 0; s < submitters.length; s++) {
            boolean reads = s == 0;
            List<CompletableFuture<Long>> mine = new ArrayList<>();
            String name = reads ? "reader" : "writer";
            submitters[s] = new Thread(() -> {
                try {
                    for (long i = 0; ; i++) {
                        long offset = (i % BLOCKS) * BLOCK;
                        mine.add(reads ? reader.read(offset, readBuf) : writer.write(offset, writeBuf));
                        submitted.incrementAndGet();
                    }
                } catch (Throwable t) {
                    tally.endedBy(name, t);
                } finally {
                    synchronized (futures) {
                        futures.addAll(mine);
                    }
                }
            }, name);
            submitters[s].start();
        }
        report.within(SHORT, "the submitters getting going", () -> {
            while (submitted.get() < SUBMITS_BEFORE_CLOSE) {
                Thread.onSpinWait();
            }
        });
        report.within(CLOSE_LIMIT, "engine.close() while two threads submit", engine::close);
        for (Thread t : submitters) {
            report.joinWithin(SHORT, "a submitter after close", t);
        }
        tally.submitted += submitted.get();
        tallyFutures(tally, futures);
        tally.afterClose("read", () -> reader.read(0, readBuf));
        tally.afterClose("callbackRead", () -> {
            reader.read(0, readBuf, null, Callbacks.toFuture());
            return null;
        });
        tally.afterClose("readFully", () -> reader.readFully(0, readBuf));
        tally.afterClose("write", () -> writer.write(0, writeBuf));
        tally.afterClose("fsync", writer::fsync);
        tally.afterClose("open", () -> engine.open(readMe));
    }

    /** What all rounds saw. */
    private static final class Tally {
        final Map<String, Integer> endedBy = new TreeMap<>();
        final Map<String, Map<String, Integer>> afterClose = new TreeMap<>();
        final Map<String, Integer> other = new TreeMap<>();
        long submitted;
        long futures;
        long normal;
        long cancelled;
        long illegalState;
        long pending;

        synchronized void endedBy(String submitter, Throwable t) {
            endedBy.merge(submitter + ":" + t.getClass().getName(), 1, Integer::sum);
        }

        void afterClose(String call, Submit submit) {
            String outcome;
            try {
                submit.call();
                outcome = "nothing";
            } catch (Throwable t) {
                outcome = t.getClass().getName();
            }
            afterClose.computeIfAbsent(call, k -> new TreeMap<>()).merge(outcome, 1, Integer::sum);
        }

        void record(Report report) {
            report.put("submitterEndedBy", endedBy).put("submitted", submitted);
            report.put("futures", futures).put("futuresNormal", normal).put("futuresCancelled", cancelled)
                    .put("futuresIllegalState", illegalState).put("futuresPending", pending)
                    .put("futuresOther", other);
            afterClose.forEach((call, outcomes) -> report.put("afterClose." + call, outcomes));
        }
    }

    /** Waits (5 s in all) for every future; counts how each ended. */
    private static void tallyFutures(Tally tally, List<CompletableFuture<Long>> futures) throws Exception {
        long deadline = System.nanoTime() + SHORT.toNanos();
        for (CompletableFuture<Long> f : futures) {
            tally.futures++;
            try {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                tally.normal++;
            } catch (CancellationException e) {
                tally.cancelled++;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof CancellationException) {
                    tally.cancelled++;
                } else if (cause instanceof IllegalStateException) {
                    tally.illegalState++;
                } else {
                    tally.other.merge(cause.getClass().getName(), 1, Integer::sum);
                }
            } catch (TimeoutException e) {
                tally.pending++;
            }
        }
    }

    @FunctionalInterface
    private interface Submit {
        Object call() throws Exception;
    }

}
