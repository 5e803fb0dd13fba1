package io.dioring.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.child.ChildJvm;
import io.dioring.child.ChildResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 11, for real: a child JVM denies itself io_uring with a seccomp filter (as Docker's
 * default profile does, with EPERM; as ENOSYS-style profiles and kernels without io_uring
 * do, with ENOSYS) and then uses the engine's defaults. One child per errno, shared by the
 * two tests below, so that the cause (which works today) and the round trip (which needs
 * the thread-pool fallback of issue 11) fail or pass separately.
 */
class SeccompTest {
    private static final Duration CHILD_LIMIT = Duration.ofSeconds(60);
    private static final Map<String, ChildResult> RUNS = new ConcurrentHashMap<>();

    @ParameterizedTest(name = "denied with {0}")
    @ValueSource(strings = {"EPERM", "ENOSYS"})
    void unavailabilityCauseNamesTheErrno(String errno) throws Exception {
        ChildResult r = blocked(errno);
        r.assertAllOf(List.of(
                f -> assertEquals(errno, f.get("directSetupErrno"), "io_uring_setup under the filter"),
                f -> assertTrue(String.valueOf(f.get("cause")).contains(errno),
                        "IoEngine.unavailabilityCause() must name " + errno + ": " + f.get("cause"))));
    }

    @ParameterizedTest(name = "denied with {0}")
    @ValueSource(strings = {"EPERM", "ENOSYS"})
    void theDefaultsDoARoundTripWithChecksumsWhereIoUringIsDenied(String errno) throws Exception {
        ChildResult r = blocked(errno);
        r.assertAllOf(List.of(
                f -> assertEquals(errno, f.get("directSetupErrno"), "io_uring_setup under the filter"),
                f -> assertEquals("ok", f.get("roundTrip"),
                        "IoEngine.create() with the defaults must fall back to the thread-pool backend")));
    }

    @org.junit.jupiter.api.Test
    void asynchronousCallsUseTheCallersRingsWhereTheirRingThreadsCannotBeMade() throws Exception {
        Path dir = Files.createTempDirectory("dioring-seccomp-late-");
        ChildResult r;
        try {
            r = ChildJvm.of("seccomp-late", LateDenialSubject.class).timeout(CHILD_LIMIT).args(dir.toString()).run();
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        String skip = r.skipReason().orElse(null);
        if (skip != null) {
            System.out.println("SKIPPED: " + skip);
        }
        assumeTrue(skip == null, () -> "SKIPPED: " + skip);
        r.assertAllOf(List.of(
                f -> assertEquals("IO_URING", f.get("backend"), "the engine before the filter"),
                f -> assertEquals("ok", f.get("blockingRead")),
                f -> assertEquals("EPERM", f.get("directSetupErrno"), "io_uring_setup under the filter"),
                f -> assertEquals("ok", f.get("asyncRead"), "a future read once no ring can be made"),
                f -> assertEquals("ok", f.get("callbackRead"), "a callback read once no ring can be made"),
                f -> assertEquals("0", f.get("asyncRingThreads"), "no ring thread could start"),
                f -> assertEquals("true", f.get("healthy"), "the engine stays healthy")));
    }

    /** The child for {@code errno}, run once; skips (printed) where seccomp cannot be used. */
    private static ChildResult blocked(String errno) throws Exception {
        ChildResult r = RUNS.get(errno);
        if (r == null) {
            Path dir = Files.createTempDirectory("dioring-seccomp-");
            try {
                r = ChildJvm.of("seccomp-" + errno, BlockedIoUringSubject.class).timeout(CHILD_LIMIT)
                        .args(dir.toString(), errno).run();
            } finally {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            RUNS.put(errno, r);
        }
        String skip = r.skipReason().orElse(null);
        if (skip != null) {
            System.out.println("SKIPPED: " + skip);
        }
        assumeTrue(skip == null, () -> "SKIPPED: " + skip);
        return r;
    }
}
