package io.dioring.tools.dd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.testing.FaultFs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Signals sent mid-copy to {@code dioring dd} running as its own process (a child JVM
 * running the dd main), beside GNU dd in the same situation. The output goes to the FUSE
 * fault filesystem with a delay on every request, so the copy takes a few seconds and the
 * signal lands in the middle. After every signal the output is a prefix of the source;
 * SIGINT prints the records lines and the bytes line and dies by SIGINT (status 130, as
 * GNU dd); SIGUSR1 prints them and the copy completes; SIGTERM and SIGKILL end it at once.
 */
class DdSignalTest {
    private static final Path GNU_DD = Path.of("/usr/bin/dd");
    private static final Path ENV = Path.of("/usr/bin/env");
    private static final int BLOCK = 64 << 10;
    private static final int BLOCKS = 96;
    private static final Pattern RECORDS = Pattern.compile(
            "(\\d+)\\+0 records in\n(\\d+)\\+0 records out\n(\\d+) bytes \\([^)]*\\) copied, [^\n]*\n");

    private static FaultFs fs;
    private static Path source;
    private static byte[] data;

    @BeforeAll
    static void setUp() throws Exception {
        if (!Files.isExecutable(GNU_DD) || !Files.isExecutable(ENV)) {
            System.out.println("SKIPPED: GNU dd or env missing (coreutils)");
        }
        assumeTrue(Files.isExecutable(GNU_DD) && Files.isExecutable(ENV), "coreutils missing");
        fs = FaultFs.mountOrSkip();
        data = new byte[BLOCKS * BLOCK];
        new Random(99).nextBytes(data);
        Path target = Path.of("target").toAbsolutePath();
        Files.createDirectories(target);
        source = target.resolve("dd-signal-src");
        Files.write(source, data);
        fs.configure(FaultFs.delayMs(25));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (fs != null) {
            fs.close();
        }
        if (source != null) {
            Files.deleteIfExists(source);
        }
    }

    private record Run(int exit, String stderr, byte[] output) {}

    @Test
    void sigintPrintsTheStatisticsAndDiesBySigintLikeGnuDd() throws Exception {
        Run gnu = runAndSignal(true, "INT");
        Run ours = runAndSignal(false, "INT");
        for (Run r : List.of(gnu, ours)) {
            assertPrefix(r);
            assertEquals(130, r.exit(), "died by SIGINT: " + r.stderr());
            Matcher m = RECORDS.matcher(r.stderr());
            assertTrue(m.find(), "records lines after SIGINT: " + r.stderr());
            assertEquals(r.output().length, Long.parseLong(m.group(3)), "bytes line = output size");
            assertEquals(r.output().length, Long.parseLong(m.group(2)) * BLOCK, "records out = output size");
            assertTrue(r.output().length < data.length, "interrupted mid-copy");
        }
    }

    @Test
    void sigusr1PrintsTheStatisticsAndTheCopyCompletes() throws Exception {
        Run gnu = runAndSignal(true, "USR1");
        Run ours = runAndSignal(false, "USR1");
        for (Run r : List.of(gnu, ours)) {
            assertEquals(0, r.exit(), r.stderr());
            assertArrayEquals(data, r.output(), "the copy completed");
            Matcher m = RECORDS.matcher(r.stderr());
            assertTrue(m.find(), "statistics on SIGUSR1: " + r.stderr());
            long midway = Long.parseLong(m.group(3));
            assertTrue(midway < data.length, "printed mid-copy: " + r.stderr());
            assertTrue(m.find(), "final statistics: " + r.stderr());
            assertEquals(BLOCKS, Long.parseLong(m.group(2)));
        }
    }

    @Test
    void sigtermEndsTheCopyWithAPrefixAndNoStatisticsLikeGnuDd() throws Exception {
        Run gnu = runAndSignal(true, "TERM");
        Run ours = runAndSignal(false, "TERM");
        assertEquals(gnu.exit(), ours.exit(), "status after SIGTERM");
        assertEquals(143, ours.exit());
        for (Run r : List.of(gnu, ours)) {
            assertPrefix(r);
            assertTrue(!RECORDS.matcher(r.stderr()).find(), "no statistics after SIGTERM: " + r.stderr());
        }
    }

    @Test
    void sighupEndsTheCopyWithAPrefix() throws Exception {
        Run ours = runAndSignal(false, "HUP");
        assertEquals(129, ours.exit(), ours.stderr());
        assertPrefix(ours);
    }

    @Test
    void sigkillLeavesAPrefixOfTheSource() throws Exception {
        Run ours = runAndSignal(false, "KILL");
        assertEquals(137, ours.exit());
        assertPrefix(ours);
        assertTrue(ours.output().length < data.length, "killed mid-copy");
    }

    private static void assertPrefix(Run r) {
        byte[] out = r.output();
        assertTrue(out.length <= data.length, "output longer than the source");
        assertArrayEquals(Arrays.copyOf(data, out.length), out, "the output is a prefix of the source");
    }

    /**
     * Starts the copy (GNU dd, or dioring dd in a child JVM), waits until a few blocks are
     * out, sends the signal, and waits for the end. Signals are reset to their default
     * disposition for the child (a build started in the background may ignore SIGINT).
     */
    private static Run runAndSignal(boolean gnu, String signal) throws Exception {
        Path out = fs.file("out");
        Path backingOut = fs.backing().resolve("out");
        Files.deleteIfExists(backingOut);
        List<String> cmd = new ArrayList<>(List.of(ENV.toString(), "--default-signal=INT,TERM,HUP,USR1"));
        if (gnu) {
            cmd.add(GNU_DD.toString());
        } else {
            cmd.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), DdMainForTests.class.getName()));
        }
        cmd.addAll(List.of("if=" + source, "of=" + out, "bs=64k", "oflag=direct"));
        Path err = Files.createTempFile(Path.of("target").toAbsolutePath(), "dd-signal", ".err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(backingOut) || Files.size(backingOut) < 4L * BLOCK) {
                assertTrue(p.isAlive(), "ended before the signal: " + Files.readString(err));
                assertTrue(System.nanoTime() < deadline, "the copy did not start");
                Thread.sleep(5);
            }
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start();
            assertTrue(kill.waitFor(10, TimeUnit.SECONDS));
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError((gnu ? "GNU" : "dioring") + " dd did not end after SIG" + signal);
            }
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            System.out.println((gnu ? "GNU" : "dioring") + " dd after SIG" + signal + ": status " + p.exitValue()
                    + ", output " + Files.size(backingOut) + " bytes, stderr: " + stderr.replace('\n', '|'));
            return new Run(p.exitValue(), stderr, Files.readAllBytes(backingOut));
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(err);
        }
    }
}
