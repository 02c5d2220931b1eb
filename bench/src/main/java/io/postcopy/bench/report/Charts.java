package io.postcopy.bench.report;

import io.postcopy.bench.report.BenchSummary.BackendFigures;
import io.postcopy.bench.report.BenchSummary.GoalResult;
import io.postcopy.bench.report.BenchSummary.Latency;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Draws the report's PNG charts with XChart from a {@link BenchSummary}. A chart whose figures were all not
 * measured is not written. Headless: no display needed.
 */
public final class Charts {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 500;
    private static final Pattern LIMIT = Pattern.compile("([<>]=)\\s*([0-9.]+)");

    private Charts() {
    }

    /**
     * Writes every chart that has data into {@code directory}.
     *
     * @return the file names written, in report order
     * @throws IOException if a file cannot be written
     */
    public static List<String> writeAll(BenchSummary summary, Path directory) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(directory);
        List<String> written = new ArrayList<>();
        save(goals(summary), directory, "goals.png", written);
        save(faultLatency(summary), directory, "fault-latency.png", written);
        save(presentRead(summary), directory, "present-read.png", written);
        save(throughput(summary), directory, "throughput.png", written);
        save(bySize(summary, true), directory, "downtime.png", written);
        save(bySize(summary, false), directory, "total-time.png", written);
        return written;
    }

    private static void save(CategoryChart chart, Path directory, String name, List<String> written)
        throws IOException {
        if (chart == null || chart.getSeriesMap().isEmpty()) {
            return;
        }
        if (chart.getStyler().isYAxisLogarithmic()) {
            // XChart's bars start at the axis minimum, which must be positive on a log axis: the decade below the
            // smallest figure.
            double smallest = chart.getSeriesMap().values().stream()
                .flatMap(series -> series.getYData().stream())
                .filter(Objects::nonNull).mapToDouble(Number::doubleValue).filter(v -> v > 0)
                .min().orElse(1);
            chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(smallest))));
        }
        try (OutputStream out = Files.newOutputStream(directory.resolve(name))) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
        written.add(name);
    }

    private static CategoryChart chart(String title, String xTitle, String yTitle) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
            .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartTitleBoxVisible(false);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        return chart;
    }

    static CategoryChart goals(BenchSummary summary) {
        List<String> names = new ArrayList<>();
        List<Number> shares = new ArrayList<>();
        for (GoalResult goal : summary.goals()) {
            Matcher m = LIMIT.matcher(goal.goal());
            if (goal.value() == null || !m.find()) {
                continue;
            }
            double limit = Double.parseDouble(m.group(2));
            double value = goal.value();
            if (limit == 0 || value <= 0) {
                continue;
            }
            names.add(goal.metric());
            shares.add(m.group(1).equals("<=") ? value / limit : limit / value);
        }
        if (names.isEmpty()) {
            return null;
        }
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT + 150)
            .title("Each figure relative to its goal (at most 1 meets it)").yAxisTitle("figure / goal").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisLabelRotation(90);
        chart.getStyler().setOverlapped(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        chart.addSeries("figure / goal", names, shares);
        chart.addSeries("goal", names, names.stream().map(n -> (Number) 1.0).toList())
            .setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        return chart;
    }

    static CategoryChart faultLatency(BenchSummary summary) {
        List<String> percentiles = List.of("p50", "p99", "p99.9");
        CategoryChart chart = chart("Demand fault latency vs 4 KiB TCP round trip (loopback)", "", "microseconds");
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        BenchSummary.TcpRoundTrip rtt = summary.figures().tcpRoundTrip();
        if (rtt != null) {
            latencySeries(chart, "TCP RTT, plain", rtt.plain(), percentiles);
            latencySeries(chart, "TCP RTT, Netty", rtt.netty(), percentiles);
        }
        for (BackendFigures backend : summary.backends()) {
            latencySeries(chart, "fault " + backend.backend() + ", idle", backend.idleFaultLatencyUs(), percentiles);
            latencySeries(chart, "fault " + backend.backend() + ", loaded", backend.loadedFaultLatencyUs(),
                percentiles);
        }
        return chart;
    }

    private static void latencySeries(CategoryChart chart, String name, Latency latency, List<String> x) {
        if (latency != null && latency.p50() > 0) {
            chart.addSeries(name, x, List.of(latency.p50(), latency.p99(), latency.p999()));
        }
    }

    static CategoryChart presentRead(BenchSummary summary) {
        BenchSummary.PresentRead read = summary.figures().presentRead();
        if (read == null) {
            return null;
        }
        CategoryChart chart = chart("Present-page 8-byte reads (JMH)", "", "ns per read");
        List<String> x = List.of("random", "sequential");
        chart.addSeries("software accessor", x, List.of(read.randomAccessorNs(), read.sequentialAccessorNs()));
        chart.addSeries("raw MemorySegment", x, List.of(read.randomRawNs(), read.sequentialRawNs()));
        return chart;
    }

    static CategoryChart throughput(BenchSummary summary) {
        List<String> names = new ArrayList<>();
        List<Number> values = new ArrayList<>();
        BenchSummary.Throughput t = summary.figures().throughput();
        if (t != null && t.tcpBulkBytesPerSecond() != null) {
            names.add("raw TCP bulk");
            values.add(t.tcpBulkBytesPerSecond() / (1 << 20));
        }
        for (BackendFigures backend : summary.backends()) {
            if (backend.backgroundBytesPerSecond() != null) {
                names.add("background, " + backend.backend());
                values.add(backend.backgroundBytesPerSecond() / (1 << 20));
            }
        }
        if (names.isEmpty()) {
            return null;
        }
        CategoryChart chart = chart("Background stream vs raw loopback TCP bulk", "", "MiB/s");
        chart.getStyler().setLegendVisible(false);
        chart.addSeries("throughput", names, values);
        return chart;
    }

    static CategoryChart bySize(BenchSummary summary, boolean downtime) {
        CategoryChart chart = chart(downtime ? "Downtime by guest size" : "Total migration time by guest size",
            "guest size", "milliseconds");
        // XChart wants the same categories in every series: the sizes every backend measured.
        List<String> sizes = new ArrayList<>();
        for (String size : BenchSummary.SIZES) {
            boolean everyBackend = !summary.backends().isEmpty();
            for (BackendFigures backend : summary.backends()) {
                Map<String, Double> figures = downtime ? backend.downtimeMs() : backend.totalTimeMs();
                everyBackend &= figures != null && figures.get(size) != null;
            }
            if (everyBackend) {
                sizes.add(size);
            }
        }
        if (sizes.isEmpty()) {
            return null;
        }
        for (BackendFigures backend : summary.backends()) {
            Map<String, Double> figures = downtime ? backend.downtimeMs() : backend.totalTimeMs();
            List<Number> values = new ArrayList<>();
            for (String size : sizes) {
                values.add(figures.get(size));
            }
            chart.addSeries(backend.backend(), sizes, values);
        }
        return chart;
    }
}
