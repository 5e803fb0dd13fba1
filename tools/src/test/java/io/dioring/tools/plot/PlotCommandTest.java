package io.dioring.tools.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code dioring plot}: the PNG, its size, a curve per file in that file's colour. */
class PlotCommandTest {
    @TempDir
    Path dir;

    private record Run(int status, String err) {}

    private static Run plot(String... args) {
        StringWriter err = new StringWriter();
        int status = new CommandLine(new PlotCommand()).setErr(new PrintWriter(err)).execute(args);
        return new Run(status, err.toString());
    }

    /** A distribution as bench --hist writes it: latencies around {@code typicalUs}, a tail of 10x. */
    private Path hgrm(String name, long typicalUs, String parameters) throws Exception {
        Histogram h = new Histogram(3_600_000_000_000L, 3);
        SplittableRandom random = new SplittableRandom(typicalUs);
        for (int i = 0; i < 50_000; i++) {
            long us = i % 500 == 0 ? typicalUs * 10 : typicalUs / 2 + random.nextLong(typicalUs);
            h.recordValue(us * 1000);
        }
        Path file = dir.resolve(name + ".hgrm");
        try (PrintStream out = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8)) {
            out.println(HgrmFile.PARAMETERS_PREFIX + parameters + "]");
            h.outputPercentileDistribution(out, 5, 1000.0);
        }
        return file;
    }

    @Test
    void drawsOneCurvePerFileInItsColourAtTheAskedSize() throws Exception {
        Path fast = hgrm("qd1", 60, "randread bs=4KiB qd=1");
        Path slow = hgrm("qd32", 400, "randread bs=4KiB qd=32");
        Path png = dir.resolve("out.png");
        Run r = plot(fast.toString(), slow.toString(), "-o", png.toString(), "--width", "800", "--height", "500");
        assertEquals(0, r.status(), r.err());
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(800, image.getWidth());
        assertEquals(500, image.getHeight());
        for (int series = 0; series < 2; series++) {
            Color c = LatencyChart.PALETTE.get(series);
            int columns = columnsWithColour(image, c);
            // The curve spans the plot from 0% to past 99.99%: most of the image's width.
            assertTrue(columns > image.getWidth() / 2, "series " + series + " (" + c + "): only " + columns
                    + " pixel columns in its colour");
        }
        assertEquals(0, columnsWithColour(image, LatencyChart.PALETTE.get(2)), "no third curve for two files");
    }

    @Test
    void labelsThePercentileAxisInNines() {
        assertEquals("0%", PercentileAxisFormat.label(1));
        assertEquals("90%", PercentileAxisFormat.label(10));
        assertEquals("99%", PercentileAxisFormat.label(100));
        assertEquals("99.9%", PercentileAxisFormat.label(1000));
        assertEquals("99.99%", PercentileAxisFormat.label(10_000));
        assertEquals("99.999%", PercentileAxisFormat.label(100_000));
    }

    @Test
    void titlesTheChartWithTheRunsParameters() throws Exception {
        HgrmFile a = HgrmFile.read(hgrm("a", 60, "randread bs=4KiB qd=1"));
        HgrmFile b = HgrmFile.read(hgrm("b", 60, "randread bs=4KiB qd=1"));
        HgrmFile c = HgrmFile.read(hgrm("c", 60, "write bs=1MiB qd=4"));
        assertEquals("Latency by percentile: randread bs=4KiB qd=1", LatencyChart.defaultTitle(List.of(a, b)));
        assertEquals("Latency by percentile", LatencyChart.defaultTitle(List.of(a, c)),
                "different runs: their parameters go in one subtitle each");
        assertEquals(List.of("a", "c"), LatencyChart.labels(List.of(a, c)));
    }

    @Test
    void refusesWhatIsNotADistributionWithExitTwo() throws Exception {
        Path bogus = dir.resolve("bogus.hgrm");
        Files.writeString(bogus, "Value Percentile TotalCount\nthis is not a row\n");
        Run r = plot(bogus.toString(), "-o", dir.resolve("x.png").toString());
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("bogus.hgrm:2") && r.err().contains("this is not a row"), r.err());
        Run missing = plot(dir.resolve("none.hgrm").toString(), "-o", dir.resolve("x.png").toString());
        assertEquals(1, missing.status(), missing.err());
        assertTrue(missing.err().contains("none.hgrm: no such file"), missing.err());
        Run tiny = plot(bogus.toString(), "-o", dir.resolve("x.png").toString(), "--width", "10");
        assertEquals(2, tiny.status(), tiny.err());
        assertTrue(tiny.err().contains("--width 10") && tiny.err().contains("[200, 10000]"), tiny.err());
        assertTrue(!Files.exists(dir.resolve("x.png")), "nothing written on bad input");
    }

    /** Pixel columns holding a pixel within a small distance of {@code c} (anti-aliasing blends edges). */
    private static int columnsWithColour(BufferedImage image, Color c) {
        int columns = 0;
        for (int x = 0; x < image.getWidth(); x++) {
            for (int y = 0; y < image.getHeight(); y++) {
                Color p = new Color(image.getRGB(x, y));
                int d = Math.abs(p.getRed() - c.getRed()) + Math.abs(p.getGreen() - c.getGreen())
                        + Math.abs(p.getBlue() - c.getBlue());
                if (d <= 24) {
                    columns++;
                    break;
                }
            }
        }
        return columns;
    }
}
