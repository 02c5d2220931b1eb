package io.postcopy.bench.report;

import io.postcopy.bench.report.BenchSummary.GoalResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {
    private static final List<String> ALL_CHARTS = List.of("goals.png", "fault-latency.png", "present-read.png",
        "throughput.png", "downtime.png", "total-time.png");

    @Test
    void shouldShowEachGoalWithItsFigureAndStatus() {
        String report = Report.render(SummaryFixtures.fixed(), ALL_CHARTS);

        assertTrue(report.contains("| `faultP50VsTcpRtt` | 1.50 | <= 2 | PASS |"), report);
        assertTrue(report.contains("| `loadedFaultP99VsIdleP99` | 2.50 | <= 2 | **MISS** |"), report);
        assertTrue(report.contains("| `downtimeMs` | 9.50 | <= 10 ms at every size | PASS |"), report);
        assertTrue(report.contains("| `duplicatePages` | 0 | <= 0 | PASS |"), report);
    }

    @Test
    void shouldSayByHowMuchAndWhyWhenAGoalIsMissed() {
        String report = Report.render(SummaryFixtures.fixed(), ALL_CHARTS);

        assertTrue(report.contains("- `loadedFaultP99VsIdleP99` MISS: misses by 0.500 (1.25x the goal); likely"
            + " reason: "), report);
    }

    @Test
    void shouldPutEachFigureNextToItsBaseline() {
        String report = Report.render(SummaryFixtures.fixed(), ALL_CHARTS);

        assertTrue(report.contains("| TCP round trip, plain sockets | 20000 | 15 | 30 | 60 | 900 | 1 | 1 |"), report);
        assertTrue(report.contains("| fault, uffd (default), idle | 5000 | 22.5 | 90 | 200 | 800 | 1.50 | 3 |"),
            report);
        assertTrue(report.contains("| random | 40 | 32 | 1.25 |"), report);
        assertTrue(report.contains("| **Java / C** | 1.10 |"), report);
        assertTrue(report.contains("| raw TCP bulk (plain socket) | 1907 MiB/s |"), report);
    }

    @Test
    void shouldMarkSectionsNotMeasuredInsteadOfInventingNumbers() {
        String report = Report.render(SummaryFixtures.fixed(), ALL_CHARTS);

        assertTrue(report.contains("**Not measured: modes not available in this build.**"), report);
        assertTrue(report.contains("**On vs off not measured: no prefetch switch in this build.**"), report);
        assertTrue(report.contains("| uffd | 4g | not run (`--quick`) | – |"), report);
    }

    @Test
    void shouldCompareTheModesSideBySideWhenMeasured() {
        BenchSummary s = SummaryFixtures.fixed();
        BenchSummary.Figures f = s.figures();
        BenchSummary.ModeComparison modes = new BenchSummary.ModeComparison(true, null, "random", "128m",
            "hybrid: 2 precopy rounds at most", new BenchSummary.ModeFigures("PASS", 15.5, 560.0, 32768, 277, 2000.0,
                0, true, 0), new BenchSummary.ModeFigures("PASS", 395.0, 3318.0, 98304, 225, 1800.0, 2, true, 32768),
            new BenchSummary.ModeFigures("PASS", 1193.0, 10937.0, 360448, 0, null, 10, false, 0));
        BenchSummary measured = new BenchSummary(s.schema(), s.date(), s.quick(), s.command(), s.machine(),
            s.defaultBackend(), s.faultP50VsTcpRtt(), s.faultP99VsTcpRtt(), s.loadedFaultP99VsIdleP99(),
            s.uffdJavaVsC(), s.presentReadVsRaw(), s.backgroundVsTcpThroughput(), s.downtimeMs(),
            s.networkFaultShareOfWorkingSet(), s.duplicatePages(), s.backends(), new BenchSummary.Figures(f.guest(),
                f.tcpRoundTrip(), f.uffdHandler(), f.presentRead(), f.throughput(), f.migrations(), modes,
                f.prefetch()), s.goals());

        String report = Report.render(measured, List.of());

        assertTrue(report.contains("| postcopy | PASS | 15.5 | 560 | 32768 | 0 | yes | 0 | 277 | 2000 |"), report);
        assertTrue(report.contains("| precopy | PASS | 1193 | 10937 | 360448 | 10 | no | 0 | 0 | – |"), report);
        assertFalse(report.contains("Not measured: modes"), report);
    }

    @Test
    void shouldRenderWhenEverySectionWasSkipped() {
        BenchSummary s = SummaryFixtures.fixed();
        BenchSummary empty = new BenchSummary(s.schema(), s.date(), false, "./postcopy bench --only uffd",
            s.machine(), "software", null, null, null, null, null, null, s.downtimeMs(), null, null, List.of(),
            new BenchSummary.Figures(s.figures().guest(), null, null, null, null, List.of(), null, null), List.of());

        String report = Report.render(empty.withGoals(Goals.evaluate(empty)), List.of());

        assertTrue(report.contains("| `faultP50VsTcpRtt` | – | <= 2 | _not measured_ |"), report);
        assertTrue(report.contains("## 8. Prefetch around faults"), report);
    }

    @Test
    void shouldStateTheMachineAndItsLoad() {
        String report = Report.render(SummaryFixtures.fixed(), ALL_CHARTS);

        assertTrue(report.contains("| cores | 2 |"), report);
        assertTrue(report.contains("| load average (1, 5, 15 min) at start | 0.50, 0.40, 0.30 |"), report);
        assertTrue(report.contains("Run `./postcopy bench --quick` on 2026-01-01T00:00:00Z"), report);
    }

    @Test
    void shouldLinkOnlyTheChartsThatWereWritten() {
        String report = Report.render(SummaryFixtures.fixed(), List.of("fault-latency.png"));

        assertTrue(report.contains("](fault-latency.png)"), report);
        assertFalse(report.contains("](goals.png)"), report);
        assertFalse(report.contains("](downtime.png)"), report);
    }

    @Test
    void shouldReportNotMeasuredWhenAFigureIsMissing() {
        BenchSummary summary = SummaryFixtures.fixed();
        BenchSummary withoutUffd = new BenchSummary(summary.schema(), summary.date(), summary.quick(),
            summary.command(), summary.machine(), summary.defaultBackend(), summary.faultP50VsTcpRtt(),
            summary.faultP99VsTcpRtt(), summary.loadedFaultP99VsIdleP99(), null, summary.presentReadVsRaw(),
            summary.backgroundVsTcpThroughput(), summary.downtimeMs(), summary.networkFaultShareOfWorkingSet(),
            summary.duplicatePages(), summary.backends(), summary.figures(), List.of());

        GoalResult uffd = Goals.evaluate(withoutUffd).get(3);

        assertEquals("uffdJavaVsC", uffd.metric());
        assertEquals(Goals.NOT_MEASURED, uffd.status());
        assertEquals(null, uffd.value());
    }

    @Test
    void shouldFormatNumbersWithoutFalsePrecision() {
        assertEquals("–", Report.number(null));
        assertEquals("1907", Report.number(1906.7));
        assertEquals("15.3", Report.number(15.26));
        assertEquals("1.25", Report.number(1.25));
        assertEquals("0.079", Report.number(0.0791));
        assertEquals("0", Report.number(0.0));
    }
}
