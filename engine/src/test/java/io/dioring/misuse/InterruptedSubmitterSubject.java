package io.dioring.misuse;

import static io.dioring.misuse.Fixture.BLOCK;
import static io.dioring.misuse.Fixture.CLOSE_LIMIT;
import static io.dioring.misuse.Fixture.SHORT;

import io.dioring.CompletionHandler;
import io.dioring.CompletionMode;
import io.dioring.DirectFile;
import io.dioring.EngineConfig;
import io.dioring.IoEngine;
import io.dioring.Submission;
import io.dioring.child.Fds;
import io.dioring.child.Report;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Case b, one thread at a time. Args: dir, {@link Variant}.
 *
 * <p>FLAG_SET_*: the caller's interrupt flag is set and the submit queue has room. Records
 * {@code thrown}, {@code flagAfterCall}, {@code outcome} and {@code bytesOk}.
 *
 * <p>BLOCKED_*: a victim thread blocks on a full submit queue and is interrupted there. The
 * queue is made full without timing: one ring of depth 1, a submit queue of one place, and
 * INLINE completions; a first read's callback holds the ring thread (so it drains nothing)
 * until released, and a filler thread submits reads until it blocks too ({@code queueFull}).
 * Records
 * {@code victimBlocked} (and where: {@code victimBlockedIn}), {@code victimThrown},
 * {@code victimOutcome}, {@code victimFlag}, the outcomes of the held and queued reads
 * ({@code holderOutcome}, {@code queuedOutcomes}), and whether
 * {@code file.close()} returned and closed the descriptor ({@code fdClosed}).
 */
public final class InterruptedSubmitterSubject {
    /** What the interrupted thread calls, and in which state. */
    public enum Variant {
        FLAG_SET_FUTURE_READ, FLAG_SET_CALLBACK_READ, FLAG_SET_READ_FULLY, BLOCKED_READ_FULLY, BLOCKED_FUTURE_READ
    }

    private InterruptedSubmitterSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            Path dir = Path.of(args[0]);
            Variant variant = Variant.valueOf(args[1]);
            Path data = Fixture.patternFile(dir, "data", 8);
            Map<Integer, String> before = Fixture.fdsBeforeEngine(report);
            boolean blocked = variant.name().startsWith("BLOCKED");
            EngineConfig config = blocked
                    ? EngineConfig.defaults().withRings(1).withQueueDepth(1).withSubmitQueueCapacity(1) // one queue to fill
                            .withCompletionMode(CompletionMode.INLINE)
                            // One ring thread for every call: the blocking victim queues behind the
                            // held callback, and no submitter drives the ring past it.
                            .withSubmission(Submission.RING_THREADS)
                    : EngineConfig.defaults();
            IoEngine engine = IoEngine.create(config);
            DirectFile file = engine.open(data);
            int fd = file.fd();
            if (blocked) {
                blockedOnAFullQueue(report, engine, file, variant);
            } else {
                flagSet(report, engine, file, variant);
            }
            report.within(SHORT, "file.close() after the interrupted submit", file::close);
            report.put("fdClosed", !data.toRealPath().toString().equals(Fds.target(fd)));
            report.within(CLOSE_LIMIT, "engine.close()", engine::close);
            Fds.compare(report, before);
        });
    }

    private static void flagSet(Report report, IoEngine engine, DirectFile file, Variant variant) throws Exception {
        MemorySegment buf = engine.buffers().allocate(BLOCK);
        CompletableFuture<Long> result = new CompletableFuture<>();
        report.within(SHORT, variant + " with the interrupt flag set", () -> {
            Thread.currentThread().interrupt();
            try {
                switch (variant) {
                    case FLAG_SET_FUTURE_READ -> forward(file.read(3 * BLOCK, buf), result);
                    case FLAG_SET_CALLBACK_READ -> file.read(3 * BLOCK, buf, result, Fixture.toFuture());
                    case FLAG_SET_READ_FULLY -> result.complete(file.readFully(3 * BLOCK, buf));
                    default -> throw new AssertionError(variant);
                }
                report.put("flagAfterCall", Thread.currentThread().isInterrupted()).put("thrown", "nothing");
            } catch (Throwable t) {
                report.put("flagAfterCall", Thread.currentThread().isInterrupted())
                        .put("thrown", t.getClass().getName()).put("message", t.getMessage());
                result.completeExceptionally(t);
            } finally {
                Thread.interrupted(); // our own waits below must not see it
            }
        });
        report.put("outcome", Fixture.outcome(result));
        report.put("bytesOk", Fixture.holds(buf, 3));
    }

    private static void forward(CompletableFuture<Long> from, CompletableFuture<Long> to) {
        from.whenComplete((n, e) -> {
            if (e != null) {
                to.completeExceptionally(e);
            } else {
                to.complete(n);
            }
        });
    }

    private static void blockedOnAFullQueue(Report report, IoEngine engine, DirectFile file, Variant variant)
            throws Exception {
        CountDownLatch ringHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Long> holder = new CompletableFuture<>();
        file.read(0, engine.buffers().allocate(BLOCK), holder, new CompletionHandler<CompletableFuture<Long>>() {
            @Override
            public void completed(long bytes, CompletableFuture<Long> f) {
                ringHeld.countDown();
                Fixture.awaitUninterruptibly(release); // INLINE: this is the ring thread
                f.complete(bytes);
            }

            @Override
            public void failed(Throwable failure, CompletableFuture<Long> f) {
                ringHeld.countDown();
                Fixture.awaitUninterruptibly(release);
                f.completeExceptionally(failure);
            }
        });
        report.within(SHORT, "the first read's callback holding the ring thread", ringHeld::await);
        // Fill the submit queue: a filler submits until it blocks (however many places it has).
        List<CompletableFuture<Long>> queued = new CopyOnWriteArrayList<>();
        AtomicBoolean stopFilling = new AtomicBoolean();
        MemorySegment fillBuf = engine.buffers().allocate(BLOCK);
        Thread filler = new Thread(() -> {
            while (!stopFilling.get()) {
                queued.add(file.read(BLOCK, fillBuf));
            }
        }, "filler");
        filler.start();
        report.put("queueFull", Fixture.awaitBlockedInEngine(filler, SHORT)).put("queued", queued.size());
        stopFilling.set(true);

        MemorySegment victimBuf = engine.buffers().allocate(BLOCK);
        CompletableFuture<Long> victimResult = new CompletableFuture<>();
        Thread victim = new Thread(() -> {
            try {
                if (variant == Variant.BLOCKED_READ_FULLY) {
                    victimResult.complete(file.readFully(2 * BLOCK, victimBuf));
                } else {
                    CompletableFuture<Long> f = file.read(2 * BLOCK, victimBuf);
                    report.put("victimFlag", Thread.currentThread().isInterrupted());
                    forward(f, victimResult);
                }
                report.put("victimThrown", "nothing");
            } catch (Throwable t) {
                report.put("victimThrown", t.getClass().getName()).put("victimMessage", t.getMessage());
                victimResult.completeExceptionally(t);
            }
            if (report.get("victimFlag") == null) {
                report.put("victimFlag", Thread.currentThread().isInterrupted());
            }
        }, "victim");
        victim.start();
        boolean isBlocked = Fixture.awaitBlockedInEngine(victim, SHORT);
        report.put("victimBlocked", isBlocked).put("victimBlockedIn", Fixture.engineFrames(victim));
        victim.interrupt();
        report.joinWithin(SHORT, "the interrupted victim's call", victim);

        release.countDown();
        report.joinWithin(SHORT, "the filler's last submit once the ring goes on", filler);
        report.put("victimOutcome", Fixture.outcome(victimResult));
        report.put("holderOutcome", Fixture.outcome(holder));
        Map<String, Integer> queuedOutcomes = new TreeMap<>();
        for (CompletableFuture<Long> f : queued) {
            queuedOutcomes.merge(Fixture.outcome(f), 1, Integer::sum);
        }
        report.put("queuedOutcomes", queuedOutcomes).put("queuedAtEnd", queued.size());
    }
}
