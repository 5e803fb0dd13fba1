package io.dioring.tools.dd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The formatting of dd's statistics, checked against what GNU dd 9.1 printed. */
class DdTextTest {
    private static final int OPTS = DdText.DD_OPTS;
    private static final int IEC = DdText.DD_OPTS | DdText.BASE_1024;

    @Test
    void sizesAsGnuDdPrintsThem() {
        assertEquals("0 B", DdText.humanReadable(0, OPTS, 1, 1));
        assertEquals("999 B", DdText.humanReadable(999, OPTS, 1, 1));
        assertEquals("1.0 kB", DdText.humanReadable(1000, OPTS, 1, 1));
        assertEquals("1000 B", DdText.humanReadable(1000, IEC, 1, 1));
        assertEquals("12 kB", DdText.humanReadable(12345, OPTS, 1, 1));
        assertEquals("12 KiB", DdText.humanReadable(12345, IEC, 1, 1));
        assertEquals("1.0 MB", DdText.humanReadable(1048576, OPTS, 1, 1));
        assertEquals("1.0 MiB", DdText.humanReadable(1048576, IEC, 1, 1));
        assertEquals("537 MB", DdText.humanReadable(536870912, OPTS, 1, 1));
        assertEquals("512 MiB", DdText.humanReadable(536870912, IEC, 1, 1));
        assertEquals("2.7 MB", DdText.humanReadable(2688656, OPTS, 1, 1));
        assertEquals("2.6 MiB", DdText.humanReadable(2688656, IEC, 1, 1));
        assertEquals("3.1 MB", DdText.humanReadable(3145728, OPTS, 1, 1));
        assertEquals("3.0 MiB", DdText.humanReadable(3145728, IEC, 1, 1));
    }

    @Test
    void ratesAsGnuDdPrintsThem() {
        // (bytes, elapsed ns) -> rate, from GNU dd runs
        assertEquals("19.7 MB", DdText.humanReadable(12345, OPTS, 1_000_000_000L, 626_704));
        assertEquals("110 kB", DdText.humanReadable(3, OPTS, 1_000_000_000L, 27_201));
        assertEquals("294 MB", DdText.humanReadable(10345, OPTS, 1_000_000_000L, 35_232));
        assertEquals("219 MB", DdText.humanReadable(12345, OPTS, 1_000_000_000L, 56_384));
        assertEquals("0.0 kB", DdText.humanReadable(0, OPTS, 1_000_000_000L, 45_357));
        assertEquals("721 MB", DdText.humanReadable(536870912, OPTS, 1_000_000_000L, 744_223_000));
        assertEquals("2.0 kB", DdText.humanReadable(2000, OPTS, 1_000_000_000L, 1_000_000_000L));
    }

    @Test
    void secondsLikePrintfG() {
        assertEquals("4.5357e-05", DdText.g(45_357 / 1e9));
        assertEquals("0.000626704", DdText.g(626_704 / 1e9));
        assertEquals("1.16999", DdText.g(1_169_990_000 / 1e9));
        assertEquals("0.0152279", DdText.g(15_227_900 / 1e9));
        assertEquals("12", DdText.g(12.0));
        assertEquals("123457", DdText.g(123456.7));
        assertEquals("1.23457e+06", DdText.g(1234567.0));
        assertEquals("0", DdText.g(0));
    }

    /**
     * The shortest-digits fast path of {@code %g} and {@code %.Nf} gives what rounding the exact
     * binary value gives, over random doubles of every magnitude dd prints and the cases near
     * its edges (ties of the shortest digits, carries to the next power of ten, tiny values).
     */
    @Test
    void fastRoundingAgreesWithTheExactValue() {
        java.util.Random random = new java.util.Random(42);
        java.util.List<Double> values = new java.util.ArrayList<>(java.util.List.of(0.5, 1.5, 2.5, 0.25, 0.125,
                999999.5, 999999.7, 9999995.0, 0.0000095, 1e-5, 1e-4, 0.00009999995, 123456.5, 1e20, 1.7e308,
                Double.MIN_VALUE, 4.9e-324, Double.MIN_NORMAL, Double.MIN_NORMAL / 3, 1e-310, 2.5e-320, 0.05, 0.95,
                9.5, 99.95, 1e15 + 0.5, 0.1, 0.2, 0.3, 1e17, 123456789012345678.0, 0.001, 0.000125));
        for (int i = 0; i < 20_000; i++) {
            double magnitude = Math.pow(10, random.nextInt(24) - 12);
            values.add(random.nextDouble() * magnitude);
            values.add(Math.round(random.nextDouble() * 1e7) / Math.pow(10, random.nextInt(9))); // short digits
        }
        for (double v : values) {
            assertEquals(DdText.gExact(v), DdText.g(v), "g of " + v);
            for (int decimals : new int[] {0, 1, 3, 6}) {
                assertEquals(DdText.fixedExact(v, decimals), DdText.fixed(v, decimals), "%." + decimals + "f of " + v);
            }
        }
    }

    @Test
    void quotes() {
        assertEquals("\u2018x\u2019", DdText.quote("x", true));
        assertEquals("'x'", DdText.quote("x", false));
        assertEquals("'a'\\''b'", DdText.quoteAlways("a'b"));
        assertEquals("in12345", DdText.quoteIfNeeded("in12345"));
        assertEquals("'standard input'", DdText.quoteIfNeeded("standard input"));
        assertTrue(DdText.utf8Quotes(Map.of("LANG", "C.UTF-8")));
        assertTrue(!DdText.utf8Quotes(Map.of("LC_ALL", "C", "LANG", "C.UTF-8")));
        assertTrue(!DdText.utf8Quotes(Map.of()));
    }

    /** status=progress: a line about once a second, rewritten in place with '\r', ended before the summary. */
    @Test
    void progressLines() {
        byte[] data = new byte[3 << 20];
        AtomicLong now = new AtomicLong(1_000_000_000L);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        DdCommand dd = new DdCommand(new PosixBackend(new ByteArrayInputStream(data), out),
                new PrintStream(out), errStream, Map.of(), () -> now.addAndGet(10_000_000L));
        assertEquals(0, dd.run(List.of("bs=4096", "status=progress")));
        String text = err.toString(StandardCharsets.UTF_8);
        String[] parts = text.split("\n", -1);
        // one line of \r-separated progress reports, then the records lines and the summary
        String progress = parts[0];
        assertTrue(progress.startsWith("\r"), text);
        String[] reports = progress.substring(1).split("\r");
        assertTrue(reports.length >= 5, text);
        Pattern report = Pattern.compile("\\d+ bytes \\([0-9.]+ [kMG]B, [0-9.]+ [KMG]iB\\) copied, \\d+ s, "
                + "[0-9.]+ [kMG]?B/s *");
        for (String r : reports) {
            assertTrue(report.matcher(r).matches(), r);
        }
        assertTrue(reports[0].contains(" copied, 1 s, "), reports[0]);
        assertEquals("768+0 records in", parts[1]);
        assertEquals("768+0 records out", parts[2]);
        assertTrue(parts[3].startsWith("3145728 bytes (3.1 MB, 3.0 MiB) copied, "), parts[3]);
        assertEquals(data.length, out.size());
    }
}
