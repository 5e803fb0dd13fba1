package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real refusal, not the test hook: a child JVM run without CAP_IPC_LOCK
 * ({@code setpriv}) and with RLIMIT_MEMLOCK at 64 KiB ({@code prlimit}) cannot pin a 1 MiB
 * slab; the kernel answers ENOMEM, and the engine reads through plain READ all the same.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RegisteredBuffersMemlockTest {
    @TempDir
    Path dir;

    @Test
    void overRlimitMemlockTheKernelRefusesAndReadsGoOutPlain() throws Exception {
        Kernel.assumeIoUring();
        Path setpriv = Path.of("/usr/bin/setpriv");
        Path prlimit = Path.of("/usr/bin/prlimit");
        boolean tools = Files.isExecutable(setpriv) && Files.isExecutable(prlimit);
        if (!tools) {
            System.out.println("SKIPPED: needs /usr/bin/setpriv and /usr/bin/prlimit (util-linux)");
        }
        assumeTrue(tools, "setpriv and prlimit");
        byte[] content = new byte[1 << 20];
        new java.util.Random(3).nextBytes(content);
        content[0] = 17;
        content[content.length - 1] = 42;
        Path data = dir.resolve("data");
        Files.write(data, content);

        List<String> command = new ArrayList<>(List.of(prlimit.toString(), "--memlock=65536:65536",
                setpriv.toString(), "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock", "--"));
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-ea", "-Xmx128m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), MemlockRefusalSubject.class.getName(),
                data.toString()));
        Path out = dir.resolve("out.txt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        System.out.println("child (" + String.join(" ", command.subList(0, 6)) + " java ...):\n" + text);
        if (text.contains("setpriv:") || text.contains("prlimit:")) {
            System.out.println("SKIPPED: cannot drop CAP_IPC_LOCK or set RLIMIT_MEMLOCK here");
            assumeTrue(false, "setpriv/prlimit refused");
        }
        assertEquals(0, p.exitValue(), text);
        Map<String, String> report = new HashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && !line.contains(" ")) {
                report.put(line.substring(0, eq), line.substring(eq + 1));
            } else if (line.startsWith("refusal=")) {
                report.put("refusal", line.substring(8));
            }
        }
        assertEquals("1048576", report.get("read"), text);
        assertEquals("17", report.get("firstByte"), text);
        assertEquals("42", report.get("lastByte"), text);
        assertEquals("0", report.get("fixed"), "nothing went out fixed: " + text);
        assertEquals("false", report.get("registered"), text);
        String refusal = report.getOrDefault("refusal", "");
        assertTrue(refusal.contains("ENOMEM") && refusal.contains("RLIMIT_MEMLOCK"), text);
        assertTrue(text.contains("Logged once per process"), "the refusal is logged: " + text);
        assertEquals("true", report.get("healthy"), text);
        assertEquals("true", report.get("closed"), text);
    }
}
