package io.dioring.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.backend.DeniedIoUring;
import io.dioring.child.ChildResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tools where io_uring is denied by seccomp (EPERM, ENOSYS), each in a child JVM that
 * installs the filter before it starts: {@code dd} copies through the engine's thread pool,
 * {@code bench} runs and says so, {@code info} names the errno.
 */
class BlockedIoUringToolsTest {
    private static final String FALLBACK_LOGGED = "dioring: io_uring is unavailable (";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"EPERM", "ENOSYS"})
    void ddBenchAndInfoWorkAndSayWhy(String errno) throws Exception {
        byte[] data = new byte[(8 << 20) + 3 * 4096];
        new Random(13).nextBytes(data);
        Path src = dir.resolve("src");
        Path dst = dir.resolve("dst");
        Files.write(src, data);

        ChildResult dd = DeniedIoUring.run(errno, "tools-dd", Duration.ofSeconds(120), Main.class.getName(), "dd",
                "if=" + src, "of=" + dst, "bs=1M", "iflag=direct", "oflag=direct");
        assertEquals(0, dd.exitCode(), () -> "dd failed:\n" + dd.stderr());
        assertArrayEquals(data, Files.readAllBytes(dst), "dd copied every byte");
        assertTrue(dd.stderr().contains(FALLBACK_LOGGED) && dd.stderr().contains(errno),
                "dd went through the engine, which fell back to its thread pool and said why:\n" + dd.stderr());

        ChildResult bench = DeniedIoUring.run(errno, "tools-bench", Duration.ofSeconds(120), Main.class.getName(),
                "bench",
                "--file", dir.resolve("bench.dat").toString(), "--size", "4m", "--rw", "randread", "--bs", "4k",
                "--qd", "8", "--runtime", "0.5", "--json");
        assertEquals(0, bench.exitCode(), () -> "bench failed:\n" + bench.stderr());
        assertTrue(bench.stdout().strip().endsWith("\"backend\":\"threads\"}"), bench.stdout());

        ChildResult info = DeniedIoUring.run(errno, "tools-info", Duration.ofSeconds(60), Main.class.getName(), "info");
        assertEquals(0, info.exitCode(), () -> "info failed:\n" + info.stderr());
        assertTrue(info.stdout().contains("AUTO picks threads") && info.stdout().contains(errno), info.stdout());
    }
}
