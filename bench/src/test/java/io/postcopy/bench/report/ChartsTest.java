package io.postcopy.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChartsTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @Test
    void shouldWriteEveryChartAsAPngWhenAllFiguresExist(@TempDir Path directory) throws Exception {
        List<String> charts = Charts.writeAll(SummaryFixtures.fixed(), directory);

        assertEquals(List.of("goals.png", "fault-latency.png", "present-read.png", "throughput.png", "downtime.png",
            "total-time.png"), charts);
        for (String chart : charts) {
            byte[] bytes = Files.readAllBytes(directory.resolve(chart));
            assertTrue(bytes.length > 1000, chart + " is only " + bytes.length + " bytes");
            assertArrayEquals(PNG_MAGIC, Arrays.copyOf(bytes, PNG_MAGIC.length), chart);
        }
    }

    @Test
    void shouldSkipAChartWhoseFiguresWereNotMeasured(@TempDir Path directory) throws Exception {
        BenchSummary s = SummaryFixtures.fixed();
        BenchSummary.Figures f = s.figures();
        BenchSummary noReads = new BenchSummary(s.schema(), s.date(), s.quick(), s.command(), s.machine(),
            s.defaultBackend(), s.faultP50VsTcpRtt(), s.faultP99VsTcpRtt(), s.loadedFaultP99VsIdleP99(),
            s.uffdJavaVsC(), null, s.backgroundVsTcpThroughput(), s.downtimeMs(), s.networkFaultShareOfWorkingSet(),
            s.duplicatePages(), List.of(), new BenchSummary.Figures(f.guest(), f.tcpRoundTrip(), f.uffdHandler(),
                null, f.throughput(), f.migrations(), f.modes(), f.prefetch()), s.goals());

        List<String> charts = Charts.writeAll(noReads, directory);

        assertFalse(charts.contains("present-read.png"));
        assertFalse(charts.contains("downtime.png"));
        assertFalse(Files.exists(directory.resolve("present-read.png")));
        assertTrue(charts.contains("fault-latency.png"));
    }

    @Test
    void shouldWriteReportSummaryAndChartsTogether(@TempDir Path directory) throws Exception {
        Path out = directory.resolve("results/latest");

        List<String> charts = BenchOutput.write(SummaryFixtures.fixed(), out);

        assertTrue(Files.readString(out.resolve(BenchOutput.SUMMARY)).startsWith("{"));
        String report = Files.readString(out.resolve(BenchOutput.REPORT));
        assertTrue(report.startsWith("# postcopy performance report"));
        for (String chart : charts) {
            assertTrue(report.contains("](" + chart + ")"), chart);
        }
    }
}
