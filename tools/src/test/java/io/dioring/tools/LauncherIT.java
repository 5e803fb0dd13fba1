package io.dioring.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./dioring} launcher run as a child process against the packaged jar (hence an
 * integration test: it runs after {@code package}), with its AOT cache in a temporary
 * directory: built when missing, used when it matches, rebuilt when stale, survived when
 * corrupt, skipped when off. Whether the JVM really used the cache is read from its own
 * class-loading log ("source: shared objects file").
 */
class LauncherIT {
    private static final Path LAUNCHER = Path.of(System.getProperty("dioring.launcher", "../dioring"));
    private static final String FROM_CACHE = "io.dioring.tools.Main source: shared objects file";
    private static final String BUILDING_CACHE = "dioring: building the start-up cache";

    @TempDir
    Path dir;

    private record Run(int status, String out, String err, String classLog) {}

    private Run launch(Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Path classLog = dir.resolve("classes.txt");
        Files.deleteIfExists(classLog);
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("DIORING_AOT_DIR", dir.resolve("aot").toString());
        pb.environment().put("DIORING_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog);
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("launcher did not finish in 180 s: " + command);
        }
        String log = Files.exists(classLog) ? Files.readString(classLog, StandardCharsets.UTF_8) : "";
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err), log);
    }

    @Test
    void buildsUsesRebuildsAndSurvivesItsCache() throws Exception {
        Path cache = dir.resolve("aot/dioring.aot");
        Path stamp = dir.resolve("aot/dioring.aot.stamp");

        Run first = launch(Map.of(), "--version");
        assertEquals(0, first.status(), first.err());
        boolean unsupported = first.err().contains("has no one-step AOT cache");
        if (unsupported) {
            System.out.println("SKIPPED: the launcher's JDK has no AOT cache: " + first.err().strip());
        }
        assumeFalse(unsupported, first.err());
        assertTrue(first.out().startsWith("dioring "), first.out());
        assertTrue(first.err().startsWith(BUILDING_CACHE), "one line says it builds: " + first.err());
        assertEquals(1, first.err().lines().count(), first.err());
        assertTrue(Files.size(cache) > 0 && Files.exists(stamp));

        Run cached = launch(Map.of(), "--version");
        assertEquals(0, cached.status(), cached.err());
        assertEquals("", cached.err(), "nothing but the version");
        assertTrue(cached.classLog().contains(FROM_CACHE), "the cache was not used:\n" + head(cached.classLog()));

        Files.writeString(stamp, "jar some other jar\njava some other JDK\n");
        Run stale = launch(Map.of(), "--version");
        assertEquals(0, stale.status(), stale.err());
        assertTrue(stale.err().startsWith(BUILDING_CACHE), "a stale stamp rebuilds the cache: " + stale.err());
        assertTrue(stale.classLog().contains(FROM_CACHE), "the rebuilt cache is used at once");
        assertFalse(Files.readString(stamp).contains("some other"), "the stamp is renewed");

        Files.write(cache, new byte[] {1, 2, 3, 4});
        Run corrupt = launch(Map.of(), "--version");
        assertEquals(0, corrupt.status(), corrupt.err());
        assertTrue(corrupt.out().startsWith("dioring "), corrupt.out());
        assertEquals("", corrupt.err(), "a cache the JVM rejects costs no noise");
        assertFalse(corrupt.classLog().contains(FROM_CACHE));
    }

    @Test
    void runsWithoutACacheWhenTurnedOff() throws Exception {
        Run off = launch(Map.of("DIORING_AOT", "off"), "--version");
        assertEquals(0, off.status(), off.err());
        assertTrue(off.out().startsWith("dioring "), off.out());
        assertEquals("", off.err());
        assertTrue(off.classLog().contains("io.dioring.tools.Main source: file:"), head(off.classLog()));
        assertFalse(Files.exists(dir.resolve("aot/dioring.aot")), "no cache built when off");
    }

    @Test
    void neitherDdNorHelpLoadsTheChartLibrary() throws Exception {
        Path in = dir.resolve("in");
        Files.write(in, new byte[1 << 16]);
        Run dd = launch(Map.of("DIORING_AOT", "off"), "dd", "if=" + in, "of=" + dir.resolve("copy"), "bs=4k");
        assertEquals(0, dd.status(), dd.err());
        assertEquals(-1, Files.mismatch(in, dir.resolve("copy")));
        assertFalse(dd.classLog().contains("org.jfree"), "dd loaded JFreeChart");
        assertFalse(dd.classLog().contains("picocli.CommandLine$Model"), "dd parses its own operands");
        // Start-up (README, "Start-up"): one downcall stub for every libc call, no JFR
        // annotation proxies before a recording exists, no BigDecimal for the statistics line.
        assertEquals(1, dd.classLog().lines().filter(l -> l.contains("jdk.internal.foreign.abi.DowncallStub")).count(),
                "downcall stubs spun by dd: " + dd.classLog().lines().filter(l -> l.contains("DowncallStub")).toList());
        assertFalse(dd.classLog().contains("__dynamic_proxy__"), "dd generated proxy classes (JFR annotations?)");
        assertFalse(dd.classLog().contains("java.math.BigDecimal "), "dd's statistics went through BigDecimal");
        Run help = launch(Map.of("DIORING_AOT", "off"), "--help");
        assertEquals(0, help.status(), help.err());
        assertTrue(help.out().contains("plot"), help.out());
        assertFalse(help.classLog().contains("org.jfree"), "registering plot loaded JFreeChart");
        assertFalse(help.classLog().contains("java.awt"), "registering plot loaded AWT");
    }

    private static String head(String log) {
        return log.lines().filter(l -> l.contains("io.dioring")).limit(5).reduce("", (a, b) -> a + b + "\n");
    }
}
