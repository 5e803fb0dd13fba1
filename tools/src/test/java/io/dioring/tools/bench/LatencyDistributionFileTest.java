package io.dioring.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.tools.plot.HgrmFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What bench --hist writes reads back as the histogram it recorded. */
class LatencyDistributionFileTest {
    @TempDir
    Path dir;

    @Test
    void everyRowReadsBackAsTheHistogramsValueAtThatPercentile() throws Exception {
        Histogram h = new Histogram(BenchJob.MAX_TRACKED_LATENCY_NS, 3);
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 100_000; i++) {
            // Mostly 50-150 us, with a tail up to 20 ms: the shape of a device's reads.
            long ns = i % 1000 == 0 ? 1_000_000 + random.nextLong(19_000_000) : 50_000 + random.nextLong(100_000);
            h.recordValue(ns);
        }
        Path file = dir.resolve("run.hgrm");
        LatencyDistributionFile.write(file, h, "randread bs=4KiB qd=32");
        HgrmFile read = HgrmFile.read(file);
        assertEquals("randread bs=4KiB qd=32", read.parameters());
        assertTrue(read.rows().size() > 50, "a row per tick: " + read.rows().size());
        for (HgrmFile.Row row : read.rows()) {
            long expectedNs = h.getValueAtPercentile(row.percentile() * 100);
            // The file rounds microseconds to 3 decimals; the percentile to 12.
            assertEquals(expectedNs / 1000.0, row.value(), h.sizeOfEquivalentValueRange(expectedNs) / 1000.0 + 0.001,
                    () -> "at percentile " + row.percentile());
        }
        assertEquals(h.getTotalCount(), read.rows().getLast().totalCount());
        assertEquals(h.getMaxValue() / 1000.0, read.rows().getLast().value(), 0.001);
        assertEquals(h.getValueAtPercentile(50) / 1000.0, read.valueAt(0.5), 0.001, "50% is a tick of its own");
    }

    @Test
    void benchHistWritesTheRunItReports() throws Exception {
        BenchCommandTest.assumeIoUring();
        Path hgrm = dir.resolve("bench.hgrm");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        BenchCommand command = new BenchCommand();
        command.stderrIsTerminal = () -> false;
        int status = new CommandLine(command).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(
                "--file", dir.resolve("b.dat").toString(), "--size", "4m", "--rw", "randread", "--bs", "4k",
                "--qd", "4", "--runtime", "0.3", "--json", "--hist", hgrm.toString());
        assertEquals(0, status, err.toString());
        Matcher m = Pattern.compile("\"p50\":(\\d+),\"p99\":(\\d+),\"p99_9\":(\\d+),\"max\":(\\d+)")
                .matcher(out.toString());
        assertTrue(m.find(), out.toString());
        HgrmFile read = HgrmFile.read(hgrm);
        assertTrue(read.parameters().startsWith("randread bs=4KiB qd=4 jobs=1 size=4MiB runtime=0.3s"),
                read.parameters());
        assertEquals(Long.parseLong(m.group(1)) / 1000.0, read.valueAt(0.5), 0.001, "p50");
        double p99 = Long.parseLong(m.group(2)) / 1000.0;
        // 99% falls between two ticks (99.0625% is the first at or above it).
        assertTrue(valueBelow(read, 0.99) <= p99 && p99 <= read.valueAt(0.99), () -> "p99 " + p99 + " between "
                + valueBelow(read, 0.99) + " and " + read.valueAt(0.99));
        assertEquals(Long.parseLong(m.group(4)) / 1000.0, read.rows().getLast().value(), 0.001, "max");
    }

    /** The value of the last row below {@code percentile}. */
    private static double valueBelow(HgrmFile f, double percentile) {
        double v = 0;
        for (HgrmFile.Row r : f.rows()) {
            if (r.percentile() < percentile) {
                v = r.value();
            }
        }
        return v;
    }
}
