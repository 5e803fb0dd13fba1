package io.dioring.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.child.ChildResult;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 11's real test: a child JVM denies itself io_uring_setup/enter/register with a
 * seccomp filter (EPERM as Docker's default profile, ENOSYS as an old kernel or an
 * ENOSYS-style profile) before it touches the engine; the engine's defaults must then run
 * on THREADS with the same results ({@link BlockedIoUringChild}), and say why once.
 * ({@code seccomp.SeccompTest} checks the cause and a plain round trip; this adds the owned
 * ring, the blocking calls, the log line and Backend.IO_URING's failure.)
 */
class BlockedIoUringTest {
    private static final String LOG_LINE = "dioring: io_uring is unavailable (";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"EPERM", "ENOSYS"})
    void theDefaultsFallBackToThreadsAndRoundTripWithChecksums(String errno) throws Exception {
        ChildResult r = DeniedIoUring.run(errno, "blocked-io_uring", Duration.ofSeconds(120),
                BlockedIoUringChild.class.getName(), dir.toString(), errno);
        assertEquals(0, r.exitCode(), () -> "child failed:\n" + r.diagnostics());
        assertTrue(r.stdout().contains(BlockedIoUringChild.OK), r.stdout());
        long logged = r.stderr().lines().filter(l -> l.contains(LOG_LINE)).count();
        assertEquals(1, logged, "the fallback is logged once per process (two engines were made):\n" + r.stderr());
        String line = r.stderr().lines().filter(l -> l.contains(LOG_LINE)).findFirst().orElseThrow();
        assertTrue(line.contains(errno), "the log line names the errno: " + line);
        assertTrue(r.stderr().contains("INFO"), "logged at INFO: " + r.stderr());
        String likely = errno.equals("EPERM") ? "seccomp" : "kernel has no io_uring";
        assertTrue(line.contains(likely), "the log line names the likely cause (" + likely + "): " + line);
    }
}
