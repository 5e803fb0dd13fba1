package io.dioring.tools.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.HdrHistogram.Histogram;

/**
 * Writes a run's latency histogram as HdrHistogram's percentile distribution ({@code .hgrm}),
 * the text format its plotters read: values in microseconds, five ticks per half distance.
 * A first comment line carries the run's parameters so a plot can title the curve.
 */
final class LatencyDistributionFile {
    /** The comment line's prefix; what follows it is the run's parameters. */
    static final String PARAMETERS_PREFIX = "#[dioring bench: ";
    static final int TICKS_PER_HALF_DISTANCE = 5;
    static final double NANOS_PER_MICRO = 1000.0;

    private LatencyDistributionFile() {}

    static void write(Path file, Histogram latencyNanos, String parameters) throws IOException {
        if (parameters.contains("\n") || parameters.contains("\r")) {
            throw new IllegalArgumentException("parameters '" + parameters + "': must be one line");
        }
        try (OutputStream os = Files.newOutputStream(file);
                PrintStream out = new PrintStream(os, false, StandardCharsets.UTF_8)) {
            out.println(PARAMETERS_PREFIX + parameters + "]");
            latencyNanos.outputPercentileDistribution(out, TICKS_PER_HALF_DISTANCE, NANOS_PER_MICRO);
            out.flush();
            if (out.checkError()) {
                throw new IOException("could not write " + file);
            }
        }
    }
}
