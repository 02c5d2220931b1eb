package io.postcopy.bench.report;

import io.postcopy.bench.report.BenchSummary.BackendFigures;
import io.postcopy.bench.report.BenchSummary.Latency;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A fixed summary with made-up figures for the rendering and shape tests (never a measurement). */
final class SummaryFixtures {
    private SummaryFixtures() {
    }

    static BenchSummary fixed() {
        Latency rttPlain = new Latency(20_000, 15.0, 30.0, 60.0, 900.0, null);
        Latency rttNetty = new Latency(20_000, 20.0, 40.0, 80.0, 1_000.0, null);
        Latency paced = new Latency(4_000, 25.0, 50.0, 90.0, 400.0, null);
        Map<String, Double> uffdDowntime = sizes(8.0, 9.5, null);
        Map<String, Double> softwareDowntime = sizes(12.0, 30.0, null);
        BackendFigures uffd = new BackendFigures("uffd", true, 1.5, 3.0, 2.5,
            new Latency(5_000, 22.5, 90.0, 200.0, 800.0, 85.0), new Latency(4_000, 40.0, 225.0, 500.0, 900.0, 200.0),
            uffdDowntime, sizes(700.0, 2_800.0, null), 1.5e9);
        BackendFigures software = new BackendFigures("software", false, 2.5, 5.0, 1.2,
            new Latency(5_000, 37.5, 150.0, 300.0, 700.0, 140.0), new Latency(4_000, 45.0, 180.0, 400.0, 800.0, 170.0),
            softwareDowntime, sizes(650.0, 2_600.0, null), 1.2e9);
        BenchSummary.Figures figures = new BenchSummary.Figures(
            new BenchSummary.Guest(1, 2_000, 4L << 20, "random"),
            new BenchSummary.TcpRoundTrip(rttPlain, rttNetty, paced, "plain",
                new Latency(20_000, 10.0, 20.0, 40.0, 300.0, null)),
            new BenchSummary.UffdHandler(11_000.0, 10_000.0, 20_000, 3, null),
            new BenchSummary.PresentRead(40.0, 32.0, 1.5, 1.2, 1.25, 268_435_456L, null),
            new BenchSummary.Throughput(1.5e9, 2.0e9, "uffd 1g"),
            List.of(new BenchSummary.Migration("loaded", "uffd", "256m", "random", 0, "PASS", 8.0, 700.0, 900,
                60_000, 4_636, 0, 0, 1_000, 1_200, new Latency(1_000, 40.0, 225.0, 500.0, 900.0, 200.0))),
            new BenchSummary.ModeComparison(false, "modes not available in this build", "random", null, null, null,
                null, null),
            new BenchSummary.PrefetchComparison(false, "no prefetch switch in this build",
                new BenchSummary.HotSetFigures("256m", 300, 3_000, 0.1, 0), null, null));
        BenchSummary summary = new BenchSummary(BenchSummary.SCHEMA, "2026-01-01T00:00:00Z", true,
            "./postcopy bench --quick", new BenchSummary.Machine(2, List.of(0.5, 0.4, 0.3), List.of(0.6, 0.5, 0.4),
                "Test JDK 25", "Linux test amd64", "epoll", true),
            "uffd", 1.5, 3.0, 2.5, 1.1, 1.25, 0.75, uffdDowntime, 0.1, 0L, List.of(uffd, software), figures,
            List.of());
        return summary.withGoals(Goals.evaluate(summary));
    }

    private static Map<String, Double> sizes(Double small, Double medium, Double large) {
        Map<String, Double> bySize = new LinkedHashMap<>();
        bySize.put("256m", small);
        bySize.put("1g", medium);
        bySize.put("4g", large);
        return bySize;
    }
}
