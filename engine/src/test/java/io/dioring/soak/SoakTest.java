package io.dioring.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak for one minute, in a child JVM (as scripts/soak.sh runs it): its last line must
 * read PASS and it must exit 0.
 */
class SoakTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aOneMinuteSoakPasses() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = List.of(java, "--enable-native-access=ALL-UNNAMED", "-ea", "-Xms256m", "-Xmx256m",
                "-XX:+AlwaysPreTouch", "-XX:NativeMemoryTracking=summary",
                "-cp", System.getProperty("java.class.path"), Soak.class.getName(),
                "--seconds", "60", "--sample-seconds", "20", "--dir", dir.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "soak did not end");
        System.out.print(out);
        String[] lines = out.strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.matches("soak: \\d+ ops, \\d+ lost, \\d+ corrupt, fds \\d+->\\d+, rss \\d+->\\d+ MiB, "
                + "threads \\d+->\\d+: (PASS|FAIL)"), "last line: " + last);
        assertTrue(last.endsWith(": PASS"), last);
        assertEquals(0, p.exitValue(), "exit status of a passing soak");
    }
}
