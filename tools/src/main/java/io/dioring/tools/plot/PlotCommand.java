package io.dioring.tools.plot;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dioring plot}: latency distributions ({@code .hgrm}) as one PNG chart. This class
 * names no charting type, so registering it with picocli loads none; {@link LatencyChart}
 * (and with it JFreeChart and AWT) loads only when a plot is drawn.
 *
 * <p>Exit status: 0 when the PNG is written, 1 when a file cannot be read or written, 2 on
 * bad input (a file not in the format, a size out of range).
 */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Draws latency distributions (.hgrm, from 'dioring bench --hist' or any HdrHistogram "
                + "percentile output) as latency by percentile, one curve per file, into a PNG.")
public final class PlotCommand implements Callable<Integer> {
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int MIN_PIXELS = 200;
    static final int MAX_PIXELS = 10_000;

    @Spec
    private CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE.hgrm", description = "Distributions to draw, one curve each.")
    private List<Path> files = new ArrayList<>();

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.png", description = "The PNG to write.")
    private Path output;

    @Option(names = "--width", defaultValue = "1000", paramLabel = "PIXELS",
            description = "Image width; default ${DEFAULT-VALUE}.")
    private int width;

    @Option(names = "--height", defaultValue = "600", paramLabel = "PIXELS",
            description = "Image height; default ${DEFAULT-VALUE}.")
    private int height;

    @Option(names = "--title", paramLabel = "TEXT",
            description = "The chart's title; default: 'Latency by percentile' and the runs' parameters.")
    private String title;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (width < MIN_PIXELS || width > MAX_PIXELS || height < MIN_PIXELS || height > MAX_PIXELS) {
            err.println("dioring plot: --width " + width + " --height " + height + ": each must be in ["
                    + MIN_PIXELS + ", " + MAX_PIXELS + "] pixels");
            err.flush();
            return EXIT_USAGE;
        }
        List<HgrmFile> runs = new ArrayList<>();
        try {
            for (Path f : files) {
                runs.add(HgrmFile.read(f));
            }
        } catch (HgrmFormatException e) {
            return fail(err, e.getMessage(), EXIT_USAGE);
        } catch (NoSuchFileException e) {
            return fail(err, e.getFile() + ": no such file", EXIT_FAILED);
        } catch (IOException e) {
            return fail(err, "cannot read: " + e.getMessage(), EXIT_FAILED);
        }
        try {
            LatencyChart.writePng(runs, title, output, width, height);
        } catch (IOException e) {
            return fail(err, "cannot write " + output + ": " + e.getMessage(), EXIT_FAILED);
        }
        return 0;
    }

    private static int fail(PrintWriter err, String message, int status) {
        err.println("dioring plot: " + message);
        err.flush();
        return status;
    }
}
