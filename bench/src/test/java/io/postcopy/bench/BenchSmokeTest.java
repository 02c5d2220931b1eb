package io.postcopy.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.postcopy.bench.report.BenchOutput;
import io.postcopy.bench.report.BenchSummary;
import io.postcopy.bench.report.Goals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The suite end to end on tiny guests (no JMH, no userfaultfd handler comparison): seconds, not minutes. */
class BenchSmokeTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldMeasureAndReportWhenRunOnTinyGuests(@TempDir Path directory) throws Exception {
        BenchSuite suite = new BenchSuite(BenchConfig.smoke(), "smoke test");

        BenchSummary summary = suite.run();
        List<String> charts = BenchOutput.write(summary, directory);

        assertFalse(suite.anyMigrationFailed(), summary.figures().migrations().toString());
        assertNotNull(summary.faultP50VsTcpRtt());
        assertNotNull(summary.figures().tcpRoundTrip().plain());
        assertTrue(summary.figures().tcpRoundTrip().netty().count() > 0);
        assertTrue(summary.figures().throughput().tcpBulkBytesPerSecond() > 0);
        assertEquals(0L, summary.duplicatePages());
        assertTrue(summary.figures().migrations().stream().allMatch(m -> m.result().equals("PASS")));
        assertEquals(Goals.NOT_MEASURED, summary.goals().get(3).status());
        assertTrue(charts.contains("fault-latency.png"));
        assertTrue(summary.figures().modes().measured());
        assertEquals(0, summary.figures().modes().precopy().faults());
        assertEquals("PASS", summary.figures().modes().hybrid().result());
        JsonNode json = new ObjectMapper().readTree(directory.resolve(BenchOutput.SUMMARY).toFile());
        assertTrue(json.get("faultP50VsTcpRtt").isNumber());
        assertTrue(json.get("presentReadVsRaw").isNull());
        assertTrue(Files.readString(directory.resolve(BenchOutput.REPORT)).contains("## Goals"));
    }
}
