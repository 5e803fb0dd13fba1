package io.dioring.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.IoEngine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class BenchCommandTest {
    private static final Pattern JSON = Pattern.compile("\\{\"rw\":\"(?<rw>[a-z]+)\",\"bs\":(?<bs>\\d+),"
            + "\"qd\":(?<qd>\\d+),\"iops\":(?<iops>[0-9.]+),\"bandwidth_bytes_per_s\":(?<bw>\\d+),"
            + "\"latency_ns\":\\{\"p50\":(?<p50>\\d+),\"p99\":(?<p99>\\d+),\"p99_9\":(?<p999>\\d+),"
            + "\"max\":(?<max>\\d+)\\},\"ios_per_enter\":(?<ipe>[0-9.]+),"
            + "\"backend\":\"(?<backend>io_uring|threads)\"\\}");

    @TempDir
    Path dir;

    record Run(int status, String out, String err) {}

    static Run bench(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = new CommandLine(new BenchCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    static void assumeIoUring() {
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring unavailable: " + cause);
        }
        assumeTrue(cause == null, () -> "io_uring unavailable: " + cause);
    }

    @ParameterizedTest
    @ValueSource(strings = {"randread", "randwrite", "read", "write", "randrw"})
    void runsEachPatternAndPrintsOneJsonLine(String rw) throws Exception {
        assumeIoUring();
        Path file = dir.resolve("bench.dat");
        Run r = bench("--file", file.toString(), "--size", "8m", "--rw", rw, "--bs", "4k", "--qd", "4",
                "--runtime", "1", "--json");
        assertEquals(0, r.status(), () -> "stderr: " + r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(1, lines.length, () -> "expected exactly one line, got: " + r.out());
        Matcher m = JSON.matcher(lines[0]);
        assertTrue(m.matches(), () -> "not the bench JSON line: " + lines[0]);
        assertEquals(rw, m.group("rw"));
        assertEquals("io_uring", m.group("backend"), "AUTO runs io_uring where it is available");
        assertEquals(4096, Integer.parseInt(m.group("bs")));
        assertEquals(4, Integer.parseInt(m.group("qd")));
        assertTrue(Double.parseDouble(m.group("iops")) > 0, "no I/O happened: " + lines[0]);
        assertTrue(Long.parseLong(m.group("bw")) > 0, lines[0]);
        long p50 = Long.parseLong(m.group("p50"));
        long p99 = Long.parseLong(m.group("p99"));
        long max = Long.parseLong(m.group("max"));
        assertTrue(p50 > 0 && p50 <= p99 && p99 <= max, "percentiles out of order: " + lines[0]);
        assertTrue(Double.parseDouble(m.group("ipe")) > 0, lines[0]);
        assertEquals(8L << 20, Files.size(file), "the file is laid out to --size");
    }

    /**
     * Soak finding: with several jobs writing at random into a small file, a job's write
     * often waits behind another job's overlapping write (the engine orders them); a job
     * that closed its ring with such a write still held saw it cancelled, and the run failed.
     * Every job must wait for all of its own writes, held ones included.
     */
    @Test
    void randomWritesFromSeveralJobsAllCompleteNoneCancelled() throws Exception {
        assumeIoUring();
        Path file = dir.resolve("jobs.dat");
        for (int round = 0; round < 6; round++) {
            // 64 blocks for 3 jobs of 16 in flight each: writes overlap all the time
            Run r = bench("--file", file.toString(), "--size", "256k", "--rw", "randwrite", "--bs", "4k", "--qd",
                    "16", "--jobs", "3", "--runtime", "0.2", "--json");
            int n = round;
            assertEquals(0, r.status(), () -> "round " + n + ": stderr: " + r.err());
            assertFalse(r.err().contains("cancelled"), () -> "round " + n + ": stderr: " + r.err());
            assertTrue(JSON.matcher(r.out().strip()).matches(), () -> "round " + n + ": " + r.out());
        }
    }

    @Test
    void runsOnTheThreadsEngineWhenAskedAndBothReportsSaySo() throws Exception {
        Path file = dir.resolve("threads.dat");
        Run r = bench("--file", file.toString(), "--size", "4m", "--rw", "randread", "--bs", "4k", "--qd", "8",
                "--runtime", "0.3", "--engine", "threads", "--json");
        assertEquals(0, r.status(), () -> "stderr: " + r.err());
        Matcher m = JSON.matcher(r.out().strip());
        assertTrue(m.matches(), () -> "not the bench JSON line: " + r.out());
        assertEquals("threads", m.group("backend"));
        assertTrue(Double.parseDouble(m.group("iops")) > 0, r.out());
        Run human = bench("--file", file.toString(), "--size", "4m", "--rw", "read", "--bs", "4k", "--qd", "2",
                "--runtime", "0.2", "--engine", "threads");
        assertEquals(0, human.status(), () -> "stderr: " + human.err());
        assertTrue(human.out().contains("engine   : threads"), human.out());
        Run bad = bench("--file", file.toString(), "--size", "4m", "--rw", "read", "--bs", "4k", "--qd", "2",
                "--runtime", "0.2", "--engine", "aio");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("--engine aio"), bad.err());
    }

    @Test
    void registersBuffersUnlessToldNotTo() {
        assumeIoUring();
        String file = dir.resolve("fixed.dat").toString();
        Run fixed = bench("--file", file, "--size", "4m", "--rw", "randread", "--bs", "4k", "--qd", "4",
                "--runtime", "0.3");
        assertEquals(0, fixed.status(), () -> "stderr: " + fixed.err());
        Matcher m = Pattern.compile("buffers  : registered, (\\d+) READ_FIXED/WRITE_FIXED SQEs").matcher(fixed.out());
        assertTrue(m.find(), fixed.out());
        assertTrue(Long.parseLong(m.group(1)) > 0, "random 4 KiB reads from registered buffers go out fixed: "
                + fixed.out());
        Run plain = bench("--file", file, "--size", "4m", "--rw", "randread", "--bs", "4k", "--qd", "4",
                "--runtime", "0.3", "--no-fixed-buffers");
        assertEquals(0, plain.status(), () -> "stderr: " + plain.err());
        assertTrue(plain.out().contains("buffers  : not registered (--no-fixed-buffers)"), plain.out());
    }

    @Test
    void humanReportNamesEveryFigure() {
        assumeIoUring();
        Run r = bench("--file", dir.resolve("h.dat").toString(), "--size", "4m", "--rw", "randread", "--bs", "4k",
                "--qd", "8", "--runtime", "0.3", "--jobs", "2");
        assertEquals(0, r.status(), () -> "stderr: " + r.err());
        for (String word : List.of("iops", "bandwidth", "p50", "p99", "p99.9", "max", "io_uring_enter", "cpu")) {
            assertTrue(r.out().contains(word), () -> "no '" + word + "' in:\n" + r.out());
        }
    }

    @Test
    void refusesBlockSizeOffTheFileAlignment() throws Exception {
        assumeIoUring();
        Path file = dir.resolve("a.dat");
        Run r = bench("--file", file.toString(), "--size", "1m", "--rw", "randread", "--bs", "100", "--qd", "1",
                "--runtime", "1");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--bs 100") && r.err().contains("multiple of"), r.err());
        assertFalse(Files.exists(file), "a file created only to probe alignment is removed again");
    }

    @Test
    void refusesBadInputWithExitTwoAndNamesValueAndRule() {
        Path file = dir.resolve("never.dat");
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[] {"--size", "2k", "--bs", "4k", "--qd", "1", "--rw", "randread", "2k", "smaller"});
        cases.add(new String[] {"--size", "1m", "--bs", "4k", "--qd", "0", "--rw", "randread", "--qd 0", "[1, 4096]"});
        cases.add(new String[] {"--size", "1m", "--bs", "4k", "--qd", "1", "--rw", "sideways", "sideways",
                "randread, randwrite, read, write, randrw"});
        cases.add(new String[] {"--size", "12x", "--bs", "4k", "--qd", "1", "--rw", "read", "12x", "suffix"});
        for (String[] c : cases) {
            Run r = bench("--file", file.toString(), c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                    "--runtime", "1", "--json");
            assertEquals(2, r.status(), () -> String.join(" ", c) + " -> " + r.err());
            assertTrue(r.err().contains(c[8]) && r.err().contains(c[9]),
                    () -> "message should name '" + c[8] + "' and '" + c[9] + "': " + r.err());
            assertEquals("", r.out(), "nothing on stdout for bad input");
        }
        assertFalse(Files.exists(file), "bad input creates no file");
    }

    @Test
    void submitBatchIsCheckedAgainstTheQueueDepth() {
        Path file = dir.resolve("never.dat");
        Run r = bench("--file", file.toString(), "--size", "1m", "--bs", "4k", "--qd", "4", "--rw", "randread",
                "--submit-batch", "5", "--runtime", "1");
        assertEquals(2, r.status(), r.err());
        assertEquals("dioring bench: --submit-batch 5: must be in [0, --qd 4] (0 submits once per reap)",
                r.err().strip());
        assertFalse(Files.exists(file), "bad input creates no file");
        assumeIoUring();
        Run once = bench("--file", file.toString(), "--size", "1m", "--bs", "4k", "--qd", "4", "--rw", "randread",
                "--submit-batch", "0", "--runtime", "0.2", "--json");
        assertEquals(0, once.status(), () -> "stderr: " + once.err());
    }

    @Test
    void parsesSizesLikeFio() {
        assertEquals(4096, Sizes.parse("4k"));
        assertEquals(4096, Sizes.parse("4KiB"));
        assertEquals(1L << 20, Sizes.parse("1m"));
        assertEquals(2L << 30, Sizes.parse("2g"));
        assertEquals(1L << 40, Sizes.parse("1t"));
        assertEquals(512, Sizes.parse("512"));
        assertEquals("4KiB", Sizes.format(4096));
        assertEquals("1000B", Sizes.format(1000));
    }
}
