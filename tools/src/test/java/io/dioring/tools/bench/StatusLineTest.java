package io.dioring.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** When bench shows its once-a-second status line on stderr, and what the line says. */
class StatusLineTest {
    @TempDir
    Path dir;

    @Test
    void showsOnlyOnATerminalAndNeverWithJson() {
        assertTrue(StatusLinePolicy.shows(false, true));
        assertFalse(StatusLinePolicy.shows(true, true), "--json output is for programs");
        assertFalse(StatusLinePolicy.shows(false, false), "no terminal, nobody watching");
        assertFalse(StatusLinePolicy.shows(true, false));
    }

    @Test
    void lineSaysProgressElapsedEtaIopsAndBandwidth() {
        BenchParameters p = new BenchParameters(Workload.parse("randread"), 4096, 64L << 20, 32, 1,
                60_000_000_000L, true, 1);
        String line = LiveStatus.line(p, 24_000_000_000L, 102_400, 400.0 * (1 << 20));
        assertEquals("[randread 4KiB qd=32 jobs=1][ 40.0%][elapsed 00m:24s][eta 00m:36s][102.4k IOPS][400.0 MiB/s]",
                line);
        String late = LiveStatus.line(p, 61_000_000_000L, 0, 0);
        assertTrue(late.contains("[100.0%]") && late.contains("eta 00m:00s"), "never past 100%: " + late);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aTerminalGetsTheLineOnStderr() {
        BenchCommandTest.assumeIoUring();
        Run r = bench(true, "--runtime", "1.6");
        assertEquals(0, r.status, r.err);
        assertTrue(r.err.contains("IOPS]") && r.err.contains("[eta "), "no status line on stderr: " + r.err);
        assertTrue(r.err.endsWith("\r\u001b[K"), "the line is erased before the report: " + r.err);
        assertFalse(r.out.contains("IOPS]"), "the status line stays off stdout: " + r.out);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void jsonModeAndAPipeGetNoLine() {
        BenchCommandTest.assumeIoUring();
        Run json = bench(true, "--runtime", "1.3", "--json");
        assertEquals(0, json.status, json.err);
        assertEquals("", json.err, "--json: nothing on stderr");
        Run piped = bench(false, "--runtime", "1.3");
        assertEquals(0, piped.status, piped.err);
        assertEquals("", piped.err, "stderr not a terminal: nothing on it");
    }

    private record Run(int status, String out, String err) {}

    private Run bench(boolean terminal, String... more) {
        BenchCommand command = new BenchCommand();
        command.stderrIsTerminal = () -> terminal;
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] base = {"--file", dir.resolve("s.dat").toString(), "--size", "4m", "--rw", "randread", "--bs",
            "4k", "--qd", "2"};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        int status = new CommandLine(command).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args);
        return new Run(status, out.toString(), err.toString());
    }
}
