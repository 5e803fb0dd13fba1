package io.dioring.tools.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The classic latency-by-percentile chart: x is 1/(1-p) on a log axis labelled 90%, 99%,
 * 99.9%..., y the latency in microseconds, one labelled curve per distribution. Rendered
 * headless to PNG with JFreeChart; only {@code dioring plot} loads this class.
 */
public final class LatencyChart {
    /** Series colours, in file order; distinct at a glance and for colour-blind readers. */
    public static final List<Color> PALETTE = List.of(new Color(0x1F77B4), new Color(0xD62728),
            new Color(0x2CA02C), new Color(0xFF7F0E), new Color(0x9467BD), new Color(0x8C564B));
    static final String DEFAULT_TITLE = "Latency by percentile";
    /** The last row of a distribution is p = 1 (the maximum), which sits at x = infinity. */
    private static final double LAST_FINITE_PERCENTILE = 1 - 1e-12;

    private LatencyChart() {}

    /** Draws these distributions into a PNG of {@code width} x {@code height} pixels. */
    public static void writePng(List<HgrmFile> runs, String title, Path png, int width, int height)
            throws IOException {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("runs: at least one distribution to draw");
        }
        System.setProperty("java.awt.headless", "true");
        ChartUtils.saveChartAsPNG(png.toFile(), chart(runs, title), width, height);
    }

    static JFreeChart chart(List<HgrmFile> runs, String title) {
        XYSeriesCollection data = new XYSeriesCollection();
        double maxX = 100;
        List<String> labels = labels(runs);
        for (int i = 0; i < runs.size(); i++) {
            XYSeries s = new XYSeries(labels.get(i), false, true);
            for (HgrmFile.Row r : runs.get(i).rows()) {
                if (r.percentile() <= LAST_FINITE_PERCENTILE) {
                    double x = 1 / (1 - r.percentile());
                    s.add(x, r.value());
                    maxX = Math.max(maxX, x);
                }
            }
            data.addSeries(s);
        }
        LogAxis percentile = new LogAxis("Percentile");
        percentile.setBase(10);
        percentile.setTickUnit(new NumberTickUnit(1));
        percentile.setMinorTickCount(1);
        percentile.setNumberFormatOverride(new PercentileAxisFormat());
        percentile.setAutoRange(false);
        percentile.setRange(1, Math.pow(10, Math.ceil(Math.log10(maxX))));
        NumberAxis latency = new NumberAxis("Latency (\u00b5s)");
        latency.setAutoRangeIncludesZero(true);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < runs.size(); i++) {
            renderer.setSeriesPaint(i, PALETTE.get(i % PALETTE.size()));
            renderer.setSeriesStroke(i, new BasicStroke(2.5f));
        }
        XYPlot plot = new XYPlot(data, percentile, latency, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title != null ? title : defaultTitle(runs), JFreeChart.DEFAULT_TITLE_FONT,
                plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        // Room on the right for the last percentile label, which is centred on the axis's end.
        chart.setPadding(new RectangleInsets(4, 8, 4, 28));
        if (title == null) {
            for (String line : parameterLines(runs, labels)) {
                chart.addSubtitle(new TextTitle(line, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
            }
        }
        return chart;
    }

    /** "Latency by percentile", plus the parameters when every run has the same ones. */
    static String defaultTitle(List<HgrmFile> runs) {
        Set<String> parameters = new HashSet<>();
        for (HgrmFile r : runs) {
            parameters.add(r.parameters());
        }
        String only = parameters.size() == 1 ? parameters.iterator().next() : null;
        return only != null ? DEFAULT_TITLE + ": " + only : DEFAULT_TITLE;
    }

    /** One subtitle line per run whose parameters differ from the others' ("label: parameters"). */
    private static List<String> parameterLines(List<HgrmFile> runs, List<String> labels) {
        Set<String> distinct = new LinkedHashSet<>();
        for (HgrmFile r : runs) {
            distinct.add(r.parameters());
        }
        List<String> lines = new ArrayList<>();
        if (distinct.size() > 1) {
            for (int i = 0; i < runs.size(); i++) {
                String p = runs.get(i).parameters();
                lines.add(labels.get(i) + ": " + (p != null ? p : "(no dioring parameters line)"));
            }
        }
        return lines;
    }

    /** Each file's label, made unique with its full path where two files share a name. */
    static List<String> labels(List<HgrmFile> runs) {
        Set<String> seen = new HashSet<>();
        Set<String> repeated = new HashSet<>();
        for (HgrmFile r : runs) {
            if (!seen.add(r.label())) {
                repeated.add(r.label());
            }
        }
        List<String> labels = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (HgrmFile r : runs) {
            String label = repeated.contains(r.label()) ? r.path().toString() : r.label();
            while (!used.add(label)) {
                label = label + "'";
            }
            labels.add(label);
        }
        return labels;
    }
}
