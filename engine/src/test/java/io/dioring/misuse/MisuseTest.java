package io.dioring.misuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.dioring.Kernel;
import io.dioring.Submission;
import io.dioring.child.ChildJvm;
import io.dioring.child.ChildResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Misuse and faults, each in a child JVM of its own ({@link ChildJvm}): a crash fails one
 * case, not the build; a hang is stopped by the subject's watchdog (naming the step) or by
 * the child's timeout. Every case asserts a clear outcome, exit 0, no hang, and the child's
 * open descriptors the same after the engine closed as before it was made.
 *
 * <p>The subjects ({@code *Subject} mains here) use only the public API, as a new user would.
 */
class MisuseTest {
    /** A child that needs longer than this is hung (its own watchdogs stop it well before). */
    private static final Duration CHILD_LIMIT = Duration.ofSeconds(60);
    /** Frames a handler's stack may grow by over a chain of 1000 appends: a recursion grows it per append. */
    private static final long MAX_STACK_GROWTH = 50;

    @TempDir
    Path dir;

    @BeforeEach
    void gate() {
        Kernel.assumeIoUring();
    }

    // ---- a: a closed arena's segment ----------------------------------------------------

    static List<Arguments> closedArenaCases() {
        List<Arguments> cases = new ArrayList<>();
        for (ClosedArenaSubject.Call call : ClosedArenaSubject.Call.values()) {
            cases.add(Arguments.of(call, "SHARED"));
            cases.add(Arguments.of(call, "CONFINED"));
        }
        return cases;
    }

    @ParameterizedTest(name = "{0} with a closed {1} arena")
    @MethodSource("closedArenaCases")
    void aSegmentOfAClosedArenaIsRefusedAtTheCallAndTheEngineGoesOn(ClosedArenaSubject.Call call, String arena)
            throws Exception {
        ChildResult r = child("closed-arena-" + call + "-" + arena, ClosedArenaSubject.class,
                dir.toString(), call.name(), arena);
        r.assertAllOf(List.of(
                f -> assertEquals(IllegalStateException.class.getName(), f.get("thrown"),
                        "the call must throw IllegalStateException (outcome without it: " + f.get("outcome") + ")"),
                f -> assertTrue(mentions(f.get("message"), "closed") || mentions(f.get("message"), "not alive"),
                        "the message must say the buffer's memory is no longer alive: " + f.get("message")),
                f -> assertEquals("ok", f.get("roundTrip"), "a normal round trip afterwards"),
                MisuseTest::fdsUnchanged));
    }

    // ---- b: interrupts -----------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = InterruptedSubmitterSubject.Variant.class, names = "FLAG_SET_.*",
            mode = EnumSource.Mode.MATCH_ANY)
    void aSubmitWithTheInterruptFlagSetAndRoomInTheQueueCompletesNormallyAndKeepsTheFlag(
            InterruptedSubmitterSubject.Variant variant) throws Exception {
        ChildResult r = child("interrupt-" + variant, InterruptedSubmitterSubject.class, dir.toString(),
                variant.name());
        r.assertAllOf(List.of(
                f -> assertEquals("nothing", f.get("thrown"), "the call must not throw: " + f.get("message")),
                f -> assertEquals("true", f.get("flagAfterCall"), "the interrupt flag must still be set"),
                f -> assertEquals("completed:4096", f.get("outcome"), "the read completes normally"),
                f -> assertEquals("true", f.get("bytesOk"), "the read's bytes"),
                f -> assertEquals("true", f.get("fdClosed"), "file.close() closed the descriptor"),
                MisuseTest::fdsUnchanged));
    }

    static List<Arguments> blockedCases() {
        List<Arguments> cases = new ArrayList<>();
        for (InterruptedSubmitterSubject.Variant v : InterruptedSubmitterSubject.Variant.values()) {
            if (v.name().startsWith("BLOCKED_")) {
                cases.add(Arguments.of(v, Submission.CALLERS));
                cases.add(Arguments.of(v, Submission.RING_THREADS));
            }
        }
        return cases;
    }

    /**
     * The ring is held by a blocking INLINE callback: on a ring thread at the first attempt;
     * on a caller-driven ring only when its reaper reaped that read, so the subject tries
     * again (on what it sees, not on a time) until it holds ({@link InterruptedSubmitterSubject}).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("blockedCases")
    void aSubmitterInterruptedWhileBlockedOnAFullQueueGetsInterruptedIoExceptionAndLeavesNothingRegistered(
            InterruptedSubmitterSubject.Variant variant, Submission submission) throws Exception {
        String name = "interrupt-" + variant + (submission == Submission.CALLERS ? "" : "-" + submission);
        ChildResult r = child(name, InterruptedSubmitterSubject.class, dir.toString(), variant.name(),
                submission.name());
        String interrupted = java.io.InterruptedIOException.class.getName();
        List<Consumer<Map<String, String>>> checks = new ArrayList<>();
        checks.add(f -> assertEquals("true", f.get("queueFull"), "a filler blocked on the full submit queue (attempts: "
                + f.get("attempts") + ", reads the fillers got through: " + f.get("queued") + ")"));
        if (submission == Submission.RING_THREADS) {
            checks.add(f -> assertEquals("1", f.get("attempts"), "a ring thread held by its callback at the first attempt"));
        }
        checks.add(f -> assertEquals("true", f.get("victimBlocked"),
                "the victim must block on the full submit queue before it is interrupted"));
        if (variant == InterruptedSubmitterSubject.Variant.BLOCKED_READ_FULLY) {
            checks.add(f -> assertEquals(interrupted, f.get("victimThrown"),
                    "readFully must throw InterruptedIOException: " + f.get("victimMessage")));
        } else {
            checks.add(f -> assertEquals("nothing", f.get("victimThrown"),
                    "read must return a future, not throw: " + f.get("victimMessage")));
            checks.add(f -> assertTrue(String.valueOf(f.get("victimOutcome")).startsWith("failed:" + interrupted),
                    "the future must fail with InterruptedIOException: " + f.get("victimOutcome")));
        }
        checks.add(f -> assertEquals("true", f.get("victimFlag"), "the victim's interrupt flag must stay set"));
        checks.add(f -> assertEquals("{completed:4096=" + f.get("attempts") + "}", f.get("holderOutcomes"),
                "the reads whose callbacks held the ring, one per attempt"));
        checks.add(f -> assertEquals("{completed:4096=" + f.get("queuedAtEnd") + "}", f.get("queuedOutcomes"),
                "the reads that filled the queue"));
        checks.add(f -> assertEquals("true", f.get("fdClosed"), "file.close() returned and closed the descriptor"));
        checks.add(MisuseTest::fdsUnchanged);
        r.assertAllOf(checks);
    }

    @Test
    void shutdownNowOnEightSubmittingThreadsLeavesNothingThatBlocksClose() throws Exception {
        ChildResult r = child("interrupt-shutdownNow", ShutdownNowSubject.class, dir.toString());
        r.assertAllOf(List.of(
                f -> assertEquals("true", f.get("poolTerminated"), "every task ended (" + f.get("tasksEndedBy") + ")"),
                MisuseTest::fdsUnchanged));
    }

    // ---- c: close races submitters --------------------------------------------------

    @Test
    void engineCloseWhileTwoThreadsSubmitReturnsAndEveryFutureCompletes() throws Exception {
        ChildResult r = child("close-race", CloseRaceSubject.class, dir.toString());
        String ise = IllegalStateException.class.getName();
        int rounds = CloseRaceSubject.ROUNDS;
        String allIse = "{" + ise + "=" + rounds + "}";
        r.assertAllOf(List.of(
                f -> assertEquals("0", f.get("futuresPending"), "futures left pending after close"),
                f -> assertEquals("{}", f.get("futuresOther"),
                        "futures completed other than normally, by CancellationException or IllegalStateException"),
                f -> assertEquals("{reader:" + ise + "=" + rounds + ", writer:" + ise + "=" + rounds + "}",
                        f.get("submitterEndedBy"), "each submitter stops at an IllegalStateException, every round"),
                f -> assertEquals(allIse, f.get("afterClose.read"), "read after close"),
                f -> assertEquals(allIse, f.get("afterClose.callbackRead"), "callback read after close"),
                f -> assertEquals(allIse, f.get("afterClose.readFully"), "readFully after close"),
                f -> assertEquals(allIse, f.get("afterClose.write"), "write after close"),
                f -> assertEquals(allIse, f.get("afterClose.fsync"), "fsync after close"),
                f -> assertEquals(allIse, f.get("afterClose.open"), "open after close"),
                MisuseTest::fdsUnchanged));
    }

    // ---- d: re-entrancy on an OwnedRing ------------------------------------------------

    /**
     * Every re-entrant call on O_DIRECT reads; POLL and AWAIT also with SPLIT follow-ups
     * (page cache, two SQEs each, completed inside the handler's submit), which is what makes
     * a nested reap overwrite the outer one's CQEs deterministically.
     */
    static List<Arguments> reentryCases() {
        List<Arguments> cases = new ArrayList<>();
        for (ReentrancySubject.Reentry call : ReentrancySubject.Reentry.values()) {
            cases.add(Arguments.of(call, "DIRECT"));
        }
        cases.add(Arguments.of(ReentrancySubject.Reentry.POLL, "SPLIT"));
        cases.add(Arguments.of(ReentrancySubject.Reentry.AWAIT, "SPLIT"));
        return cases;
    }

    @ParameterizedTest(name = "a handler calls ring.{0}, {1} follow-ups")
    @MethodSource("reentryCases")
    void aHandlerCallingItsOwnRingGetsIllegalStateExceptionAndNoCompletionIsLost(ReentrancySubject.Reentry call,
            String followUps) throws Exception {
        ChildResult r = child("reentry-" + call + "-" + followUps, ReentrancySubject.class, dir.toString(),
                call.name(), followUps);
        r.assertAllOf(List.of(
                f -> assertEquals("{" + IllegalStateException.class.getName() + "=16}", f.get("reentryOutcomes"),
                        "each of the 16 re-entrant calls throws IllegalStateException"),
                f -> assertEquals("16", f.get("reentryMessageOk"),
                        "messages say 'completion handler' (one that did not: " + f.get("reentryMessage") + ")"),
                f -> assertEquals("16", f.get("originalsOnce"),
                        "original handlers that ran exactly once (runs in all: " + f.get("originalRuns") + ")"),
                f -> assertEquals("16", f.get("followUpsOnce"),
                        "follow-up handlers that ran exactly once (runs in all: " + f.get("followUpRuns") + ")"),
                f -> assertEquals("0", f.get("wrongData"), "reads with wrong bytes"),
                f -> assertEquals("0", f.get("failed"), "reads that failed"),
                f -> assertEquals(null, f.get("finalDrain"), "the final drain()"),
                f -> assertEquals("0", f.get("inFlight"), "inFlight() after the final drain()"),
                MisuseTest::fdsUnchanged));
    }

    @Test
    void aChainOfExtendingWritesFromHandlersIsNeverDeliveredInsideWriteAndDoesNotRecurse() throws Exception {
        ChildResult r = child("extending-chain", ExtendingChainSubject.class, dir.toString());
        r.assertAllOf(List.of(
                f -> assertEquals("0", f.get("deliveredInsideWrite"),
                        "handlers run inside the write() that submitted their request"),
                f -> assertTrue(Long.parseLong(f.get("depthGrowth")) <= MAX_STACK_GROWTH,
                        "stack depth at handler entry grew by " + f.get("depthGrowth") + " frames over the chain"),
                f -> assertEquals("1000", f.get("handlerRuns"), "handlers run"),
                f -> assertEquals("none", f.get("chainError"), "the chain broke"),
                f -> assertEquals("0", f.get("wrongResults"), "appends that reported a length other than 4096"),
                f -> assertEquals(Long.toString(1000L * 4096), f.get("size"), "the file's size"),
                f -> assertEquals("1000", f.get("blocksInOrder"), "blocks holding their own pattern, in order"),
                MisuseTest::fdsUnchanged));
    }

    // ---- e: fsync is a barrier ---------------------------------------------------------

    static List<Arguments> barrierCases() {
        List<Arguments> cases = new ArrayList<>();
        for (String mode : List.of("DEFERRED", "INLINE")) {
            for (FsyncBarrierSubject.Variant v : FsyncBarrierSubject.Variant.values()) {
                cases.add(Arguments.of(mode, v));
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("barrierCases")
    void aSyncCompletesOnlyAfterEveryEarlierWriteOnItsFile(String mode, FsyncBarrierSubject.Variant variant)
            throws Exception {
        ChildResult r = child("barrier-" + mode + "-" + variant, FsyncBarrierSubject.class, dir.toString(), mode,
                variant.name());
        r.assertAllOf(List.of(
                f -> assertEquals("2000", f.get("iterations"), "iterations run"),
                f -> assertEquals("0", f.get("violations"), "syncs that completed before the write before them"),
                f -> assertEquals(null, f.get("writeFailure"), "a write failed"),
                MisuseTest::fdsUnchanged));
    }

    // ---- f: handlers that throw --------------------------------------------------------

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("throwingCases")
    void aThrowingHandlerIsReportedAndTheRingKeepsWorking(String mode, String kind) throws Exception {
        ChildResult r = child("throwing-handler-" + mode + "-" + kind, ThrowingHandlerSubject.class,
                dir.toString(), mode, kind);
        r.assertAllOf(List.of(
                f -> assertEquals("10", f.get("thrown"), "handlers that threw"),
                f -> assertEquals("10", f.get("reported"), "thrown exceptions that reached an uncaught-exception handler"),
                f -> assertEquals("1000", f.get("furtherCompleted"), "reads after the throwing handlers"),
                f -> assertEquals("0", f.get("furtherFailed"), "of which failed"),
                f -> assertTrue(Long.parseLong(f.get("ringThreadsAlive")) >= 1,
                        "the engine's ring thread must still be alive: " + f.get("ringThreadsAlive")),
                MisuseTest::fdsUnchanged));
    }

    static List<Arguments> throwingCases() {
        List<Arguments> cases = new ArrayList<>();
        for (String mode : List.of("DEFERRED", "INLINE")) {
            cases.add(Arguments.of(mode, "RUNTIME"));
            cases.add(Arguments.of(mode, "ERROR"));
        }
        return cases;
    }

    // ---- g, h: memory the kernel may still use ---------------------------------------

    @Test
    void engineCloseFromAnotherThreadLeavesAnOwnedRingWithRegisteredBuffersToFinish() throws Exception {
        ChildResult r = child("engine-close-under-owned-ring", EngineCloseUnderOwnedRingSubject.class,
                dir.toString());
        r.assertAllOf(List.of(
                f -> assertEquals("16", f.get("readsDeliveredOnce"), "in-flight reads delivered exactly once"),
                f -> assertFalse(String.valueOf(f.get("readsFailedBy")).contains("bufferFreedBeforeDelivery"),
                        "the registered buffers were freed before their reads were delivered: "
                                + f.get("readsFailedBy")),
                f -> assertEquals("returned", f.get("drain"), "the owner's drain()"),
                f -> assertEquals("returned", f.get("ringClose"), "ring.close() after the engine closed"),
                f -> assertEquals("true", f.get("engineClosed"), "engine.close() on the other thread"),
                MisuseTest::fdsUnchanged));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"WAIT", "CANCEL"})
    void engineCloseReturnsOnlyWhenTheKernelIsDoneWithTheEnginesBuffers(String how) throws Exception {
        ChildResult r = child("buffer-lifetime-" + how, BufferLifetimeSubject.class, dir.toString(), how);
        List<Consumer<Map<String, String>>> checks = new ArrayList<>();
        checks.add(f -> assertEquals("0", f.get("notDoneWhenCloseReturned"),
                "reads not complete when close returned (" + f.get("inFlightWhenCloseCalled")
                        + " were in flight when close was called)"));
        checks.add(f -> assertEquals("0", f.get("bufferFreedAtDelivery"), "reads delivered into freed buffers"));
        if (how.equals("WAIT")) {
            checks.add(f -> assertEquals("{completed:1048576=16}", f.get("outcomes"), "close() waits for every read"));
            checks.add(f -> assertEquals("16", f.get("dataOk"), "reads with the right bytes when delivered"));
        } else {
            checks.add(f -> assertTrue(String.valueOf(f.get("outcomes")).matches(
                    "\\{(completed:1048576=\\d+(, )?)?(failed:java.util.concurrent.CancellationException=\\d+)?}"),
                    "close(true): each read completes or fails with CancellationException: " + f.get("outcomes")));
        }
        checks.add(MisuseTest::fdsUnchanged);
        r.assertAllOf(checks);
    }

    // ---- shared -------------------------------------------------------------------------

    private static ChildResult child(String name, Class<?> subject, String... args) throws Exception {
        return ChildJvm.of(name, subject).timeout(CHILD_LIMIT).args(args).run();
    }

    static void fdsUnchanged(Map<String, String> f) {
        if (f.get("fdsAfter") == null) {
            fail("descriptors not compared: the subject did not get as far as closing the engine");
        }
        assertEquals("{}", f.get("fdsLeaked"), "descriptors open after the engine closed that were not before");
        assertEquals("{}", f.get("fdsGone"), "descriptors closed that the engine did not open");
        assertEquals(f.get("fdsBefore"), f.get("fdsAfter"), "open descriptors before the engine and after it closed");
    }

    private static boolean mentions(String message, String word) {
        return message != null && message.toLowerCase(java.util.Locale.ROOT).contains(word);
    }
}
