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
import io.dioring.testing.Callbacks;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Case b, one thread at a time. Args: dir, {@link Variant}, and for BLOCKED_* the
 * {@link Submission} (CALLERS when absent; never BY_CALL, the engine's default, which would send the
 * blocking victim to another ring than the held one).
 *
 * <p>FLAG_SET_*: the caller's interrupt flag is set and the submit queue has room. Records
 * {@code thrown}, {@code flagAfterCall}, {@code outcome} and {@code bytesOk}.
 *
 * <p>BLOCKED_*: a victim thread blocks on a full submit queue and is interrupted there. One
 * ring of depth 1, a submit queue of one place, and INLINE completions: a first read's
 * callback blocks until released, and a filler thread submits reads until it blocks too
 * ({@code queueFull}). The callback holds the ring only where nothing else drains its queue
 * meanwhile:
 * <ul>
 * <li>RING_THREADS: the callback runs on the ring thread, which then drains nothing; held at
 *     the first attempt, always.
 * <li>CALLERS: the callback runs on the ring's reaper, inside the reaper's turn (it holds the
 *     ring: submitters leave their reads in the queue) when the reaper reaped the read, but
 *     after it when the submitting caller's own turn did (the ring is free, and the filler
 *     drives it itself and never blocks). Which of the two happens is the scheduler's, so
 *     an attempt ends on what is seen, never on a time: the filler parked in the engine
 *     (held), or more reads taken than the queue has places ({@link #NOT_HELD}: nothing
 *     held it); then the callback is released, every read is let finish, and the next
 *     attempt begins, up to {@link #ATTEMPTS}.
 * </ul>
 * Records {@code attempts}, {@code victimBlocked} (and where: {@code victimBlockedIn}),
 * {@code victimThrown}, {@code victimOutcome}, {@code victimFlag}, the outcomes of the
 * callbacks' reads and the queued reads of every attempt ({@code holderOutcomes},
 * {@code queuedOutcomes}, {@code queuedAtEnd} of them), and whether {@code file.close()}
 * returned and closed the descriptor ({@code fdClosed}).
 */
public final class InterruptedSubmitterSubject {
    /** What the interrupted thread calls, and in which state. */
    public enum Variant {
        FLAG_SET_FUTURE_READ, FLAG_SET_CALLBACK_READ, FLAG_SET_READ_FULLY, BLOCKED_READ_FULLY, BLOCKED_FUTURE_READ
    }

    /** Attempts at a held ring before the case gives up (CALLERS: each misses with a small chance). */
    static final int ATTEMPTS = 20;
    /**
     * Reads the filler may get through before the ring counts as not held: more than the
     * submit queue's places (a few), so only a ring somebody drains lets this many in.
     */
    static final int NOT_HELD = 64;

    private InterruptedSubmitterSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            Path dir = Path.of(args[0]);
            Variant variant = Variant.valueOf(args[1]);
            Path data = Fixture.patternFile(dir, "data", 8);
            Map<Integer, String> before = Fixture.fdsBeforeEngine(report);
            boolean blocked = variant.name().startsWith("BLOCKED");
            Submission submission = args.length > 2 ? Submission.valueOf(args[2]) : Submission.CALLERS;
            EngineConfig config = blocked
                    ? EngineConfig.defaults().withRings(1).withQueueDepth(1).withSubmitQueueCapacity(1) // one queue to fill
                            .withCompletionMode(CompletionMode.INLINE).withSubmission(submission)
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
                    case FLAG_SET_CALLBACK_READ -> file.read(3 * BLOCK, buf, result, Callbacks.toFuture());
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
        List<CompletableFuture<Long>> holders = new ArrayList<>();
        List<CompletableFuture<Long>> queued = new CopyOnWriteArrayList<>();
        Attempt held = null;
        int attempts = 0;
        while (held == null && attempts < ATTEMPTS) {
            attempts++;
            held = holdAndFill(report, engine, file, holders, queued);
        }
        report.put("attempts", attempts).put("queueFull", held != null).put("queued", queued.size());
        if (held != null) {
            CompletableFuture<Long> victimResult = interruptAVictim(report, engine, file, variant);
            held.release.countDown();
            report.joinWithin(SHORT, "the filler's last submit once the ring goes on", held.filler);
            // INLINE: even the failed future's completion waits for the ring's thread to go on.
            report.put("victimOutcome", Fixture.outcome(victimResult));
        }
        report.put("holderOutcomes", outcomes(holders));
        report.put("queuedOutcomes", outcomes(queued)).put("queuedAtEnd", queued.size());
    }

    /** A first read's callback blocking until {@link #release} is counted down, and the filler behind it. */
    private record Attempt(CountDownLatch release, Thread filler) {}

    /**
     * One attempt: a read whose callback blocks, and a filler that submits reads (into
     * {@code queued}) until it blocks. Returns the attempt once the filler is parked in the
     * engine; null, with the callback released and the filler ended, once the filler got
     * more than {@link #NOT_HELD} reads through (the blocked callback does not hold the ring).
     */
    private static Attempt holdAndFill(Report report, IoEngine engine, DirectFile file,
            List<CompletableFuture<Long>> holders, List<CompletableFuture<Long>> queued) throws Exception {
        CountDownLatch ringHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Long> holder = new CompletableFuture<>();
        holders.add(holder);
        file.read(0, engine.buffers().allocate(BLOCK), holder, new CompletionHandler<CompletableFuture<Long>>() {
            @Override
            public void completed(long bytes, CompletableFuture<Long> f) {
                ringHeld.countDown();
                Fixture.awaitUninterruptibly(release); // INLINE: on the ring's thread (or reaper)
                f.complete(bytes);
            }

            @Override
            public void failed(Throwable failure, CompletableFuture<Long> f) {
                ringHeld.countDown();
                Fixture.awaitUninterruptibly(release);
                f.completeExceptionally(failure);
            }
        });
        report.within(SHORT, "the first read's callback blocking", ringHeld::await);
        // Fill the submit queue: a filler submits until it blocks (however many places it has).
        int before = queued.size();
        AtomicBoolean stopFilling = new AtomicBoolean();
        MemorySegment fillBuf = engine.buffers().allocate(BLOCK);
        Thread filler = new Thread(() -> {
            while (!stopFilling.get()) {
                queued.add(file.read(BLOCK, fillBuf));
            }
        }, "filler");
        filler.start();
        boolean blocked = Fixture.awaitBlockedInEngineUnless(filler, () -> queued.size() - before > NOT_HELD, SHORT);
        stopFilling.set(true);
        if (blocked) {
            return new Attempt(release, filler);
        }
        release.countDown();
        report.joinWithin(SHORT, "a filler that did not block", filler);
        return null;
    }

    /** A victim blocked on the full queue and interrupted there; returns what its call gave or threw. */
    private static CompletableFuture<Long> interruptAVictim(Report report, IoEngine engine, DirectFile file,
            Variant variant) throws Exception {
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
        return victimResult;
    }

    private static Map<String, Integer> outcomes(List<CompletableFuture<Long>> futures) throws InterruptedException {
        Map<String, Integer> counts = new TreeMap<>();
        for (CompletableFuture<Long> f : futures) {
            counts.merge(Fixture.outcome(f), 1, Integer::sum);
        }
        return counts;
    }
}
