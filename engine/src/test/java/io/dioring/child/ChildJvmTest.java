package io.dioring.child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * The harness itself: a child's RESULT line is parsed, and a crash, a hang (caught by the
 * subject's watchdog, or by the child's timeout), an unexpected exception and a skip each
 * come back as what they are, failing only the test that launched the child.
 */
class ChildJvmTest {

    @Test
    void aResultLineIsParsedIntoFields() throws Exception {
        ChildResult r = ChildJvm.of("harness-result", HarnessSubject.class).args("RESULT").run();
        Map<String, String> f = r.assertReported();
        assertEquals("42", f.get("answer"));
        assertEquals("tab here", f.get("text"), "a tab inside a value must not split the field");
        assertEquals(0, r.exitCode());
        r.assertAllOf(List.of(fields -> assertEquals("42", fields.get("answer"))));
    }

    @Test
    void aJvmCrashFailsTheTestWithTheCrashReportNamed() throws Exception {
        ChildResult r = ChildJvm.of("harness-crash", HarnessSubject.class).args("CRASH").run();
        assertTrue(r.crashed(), "exit " + r.exitCode() + ", reports " + r.crashReports());
        assertFalse(r.crashReports().isEmpty(), "-XX:ErrorFile put the hs_err file in the case's folder");
        assertTrue(r.crashReports().get(0).startsWith(r.outputDir()), r.crashReports().toString());
        AssertionFailedError e = assertThrows(AssertionFailedError.class, r::assertReported);
        assertTrue(e.getMessage().contains("harness-crash") && e.getMessage().contains("crashed"), e.getMessage());
    }

    @Test
    void aStepPastItsLimitIsReportedAsAHangNamingTheStep() throws Exception {
        ChildResult r = ChildJvm.of("harness-step-hangs", HarnessSubject.class).args("STEP_HANGS").run();
        assertEquals(Report.EXIT_HUNG, r.exitCode());
        Map<String, String> f = r.assertReported();
        assertEquals("yes", f.get("before"), "fields recorded before the hang are kept");
        assertTrue(f.get("hang").startsWith("a sleep that outlives its limit"), f.get("hang"));
        assertTrue(r.stderr().contains("HUNG:") && r.stderr().contains("Thread.sleep"),
                "the watchdog printed every thread's stack");
        AssertionError e = assertThrows(AssertionError.class, () -> r.assertAllOf(List.of(fields -> { })));
        assertTrue(e.getMessage().contains("hung: a sleep that outlives its limit"), e.getMessage());
    }

    @Test
    void aChildStillRunningAtTheTimeoutIsKilledAndFailsAsHung() throws Exception {
        ChildResult r = ChildJvm.of("harness-never-ends", HarnessSubject.class).args("NEVER_ENDS")
                .timeout(Duration.ofSeconds(3)).run();
        assertTrue(r.timedOut());
        assertTrue(r.stdout().contains("\"main\""), "SIGQUIT before the kill left a thread dump");
        AssertionFailedError e = assertThrows(AssertionFailedError.class, r::assertReported);
        assertTrue(e.getMessage().contains("harness-never-ends") && e.getMessage().contains("killed"),
                e.getMessage());
    }

    @Test
    void anUnexpectedExceptionInTheSubjectFailsWithIt() throws Exception {
        ChildResult r = ChildJvm.of("harness-throws", HarnessSubject.class).args("THROWS").run();
        assertEquals(Report.EXIT_ERROR, r.exitCode());
        AssertionError e = assertThrows(AssertionError.class, () -> r.assertAllOf(List.of(fields -> { })));
        assertTrue(e.getMessage().contains("the subject's own bug"), e.getMessage());
    }

    @Test
    void aSkipCarriesItsReason() throws Exception {
        ChildResult r = ChildJvm.of("harness-skip", HarnessSubject.class).args("SKIP").run();
        assertEquals("nothing to test here", r.skipReason().orElseThrow());
        assertEquals(0, r.exitCode());
    }
}
