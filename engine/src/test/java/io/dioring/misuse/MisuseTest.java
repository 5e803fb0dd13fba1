package io.dioring.misuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.IoEngine;
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

    @TempDir
    Path dir;

    @BeforeEach
    void gate() {
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring unavailable: " + cause);
        }
        assumeTrue(cause == null, () -> "io_uring unavailable: " + cause);
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

    // ---- shared -------------------------------------------------------------------------

    private static ChildResult child(String name, Class<?> subject, String... args) throws Exception {
        return ChildJvm.of(name, subject).timeout(CHILD_LIMIT).args(args).run();
    }

    static void fdsUnchanged(Map<String, String> f) {
        assertEquals("{}", f.get("fdsLeaked"), "descriptors open after the engine closed that were not before");
        assertEquals("{}", f.get("fdsGone"), "descriptors closed that the engine did not open");
        assertEquals(f.get("fdsBefore"), f.get("fdsAfter"), "open descriptors before the engine and after it closed");
    }

    private static boolean mentions(String message, String word) {
        return message != null && message.toLowerCase(java.util.Locale.ROOT).contains(word);
    }
}
