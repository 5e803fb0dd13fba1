package io.dioring.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 11's real test: a child JVM denies itself io_uring_setup/enter/register with a
 * seccomp filter (EPERM as Docker's default profile, ENOSYS as an old kernel or an
 * ENOSYS-style profile) before it touches the engine; the engine's defaults must then run
 * on THREADS with the same results ({@link BlockedIoUringChild}), and say why once.
 */
class BlockedIoUringTest {
    private static final String LOG_LINE = "dioring: io_uring is unavailable (";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"EPERM", "ENOSYS"})
    void theDefaultsFallBackToThreadsAndRoundTripWithChecksums(String errno) throws Exception {
        ChildJvm.Result r = ChildJvm.runDenyingIoUring(errno, dir, 120, BlockedIoUringChild.class.getName(),
                dir.toString(), errno);
        assertEquals(0, r.status(), () -> "child failed:\n" + r.out() + r.err());
        assertTrue(r.out().contains(BlockedIoUringChild.OK), r.out());
        long logged = r.err().lines().filter(l -> l.contains(LOG_LINE)).count();
        assertEquals(1, logged, "the fallback is logged once per process (two engines were made):\n" + r.err());
        String line = r.err().lines().filter(l -> l.contains(LOG_LINE)).findFirst().orElseThrow();
        assertTrue(line.contains(errno), "the log line names the errno: " + line);
        assertTrue(r.err().contains("INFO"), "logged at INFO: " + r.err());
        String likely = errno.equals("EPERM") ? "seccomp" : "kernel has no io_uring";
        assertTrue(line.contains(likely), "the log line names the likely cause (" + likely + "): " + line);
    }
}
