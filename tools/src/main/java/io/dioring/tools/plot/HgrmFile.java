package io.dioring.tools.plot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A latency distribution in HdrHistogram's percentile format ({@code .hgrm}, as
 * {@code Histogram.outputPercentileDistribution} writes it and {@code dioring bench --hist}
 * saves it): rows of value, percentile (a fraction), total count and 1/(1-percentile).
 *
 * @param parameters the run's parameters from a {@code #[dioring bench: ...]} line, or null
 *     when the file has none (written by another tool)
 */
public record HgrmFile(Path path, String parameters, List<Row> rows) {
    /** The comment line {@code dioring bench} starts its files with. */
    public static final String PARAMETERS_PREFIX = "#[dioring bench: ";

    /** One row: at {@code percentile} (0..1) of the I/Os, latency was at most {@code value}. */
    public record Row(double value, double percentile, long totalCount) {}

    public HgrmFile {
        rows = List.copyOf(rows);
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(path + ": a distribution needs at least one row");
        }
    }

    /** Reads a file; {@link HgrmFormatException} names the line that is not in the format. */
    public static HgrmFile read(Path path) throws IOException {
        List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        String parameters = null;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith(PARAMETERS_PREFIX) && line.endsWith("]")) {
                parameters = line.substring(PARAMETERS_PREFIX.length(), line.length() - 1);
            } else if (!line.isEmpty() && !line.startsWith("#") && !line.startsWith("Value")) {
                rows.add(parseRow(path, i + 1, line));
            }
        }
        if (rows.isEmpty()) {
            throw new HgrmFormatException(path + ": no percentile rows (is it HdrHistogram's percentile "
                    + "distribution, as 'dioring bench --hist' writes?)");
        }
        return new HgrmFile(path, parameters, rows);
    }

    private static Row parseRow(Path path, int lineNumber, String line) throws HgrmFormatException {
        String[] fields = line.split("\\s+");
        try {
            if (fields.length == 3 || fields.length == 4) {
                double value = Double.parseDouble(fields[0]);
                double percentile = Double.parseDouble(fields[1]);
                long count = Long.parseLong(fields[2]);
                if (value >= 0 && percentile >= 0 && percentile <= 1 && count >= 0) {
                    return new Row(value, percentile, count);
                }
            }
        } catch (NumberFormatException e) {
            // reported below with the line
        }
        throw new HgrmFormatException(path + ":" + lineNumber + ": not a percentile row (value, percentile "
                + "in [0, 1], total count[, 1/(1-percentile)]): '" + line + "'");
    }

    /** The latency at or above {@code percentile} (0..1): the first row that reaches it. */
    public double valueAt(double percentile) {
        if (!(percentile >= 0 && percentile <= 1)) {
            throw new IllegalArgumentException("percentile " + percentile + ": must be in [0, 1]");
        }
        for (Row r : rows) {
            if (r.percentile() >= percentile) {
                return r.value();
            }
        }
        return rows.getLast().value();
    }

    /** The file's name without its extension: the curve's label. */
    public String label() {
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
