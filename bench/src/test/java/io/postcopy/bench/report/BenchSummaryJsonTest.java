package io.postcopy.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchSummaryJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldWriteTheIssuesFieldsAtTopLevelWhenSerialized() throws Exception {
        JsonNode root = JSON.readTree(BenchOutput.toJson(SummaryFixtures.fixed()));

        assertEquals(List.of("schema", "date", "quick", "command", "machine", "defaultBackend", "faultP50VsTcpRtt",
            "faultP99VsTcpRtt", "loadedFaultP99VsIdleP99", "uffdJavaVsC", "presentReadVsRaw",
            "backgroundVsTcpThroughput", "downtimeMs", "networkFaultShareOfWorkingSet", "duplicatePages", "backends",
            "figures", "goals"), names(root));
        assertEquals(BenchSummary.SCHEMA, root.get("schema").asText());
        assertEquals(1.5, root.get("faultP50VsTcpRtt").asDouble());
        assertEquals(0, root.get("duplicatePages").asLong());
    }

    @Test
    void shouldKeyDowntimeBySizeWithNullWhenASizeWasNotRun() throws Exception {
        JsonNode downtime = JSON.readTree(BenchOutput.toJson(SummaryFixtures.fixed())).get("downtimeMs");

        assertEquals(List.of("256m", "1g", "4g"), names(downtime));
        assertEquals(8.0, downtime.get("256m").asDouble());
        assertTrue(downtime.get("4g").isNull());
    }

    @Test
    void shouldDescribeTheMachineWithLoadAveragesAtStartAndEnd() throws Exception {
        JsonNode machine = JSON.readTree(BenchOutput.toJson(SummaryFixtures.fixed())).get("machine");

        assertEquals(List.of("cores", "loadAverageStart", "loadAverageEnd", "jdk", "os", "transport",
            "uffdAvailable"), names(machine));
        assertEquals(3, machine.get("loadAverageStart").size());
        assertEquals(2, machine.get("cores").asInt());
    }

    @Test
    void shouldPutTheOtherBackendsRatiosBesideTheDefaultOnes() throws Exception {
        JsonNode backends = JSON.readTree(BenchOutput.toJson(SummaryFixtures.fixed())).get("backends");

        assertEquals(2, backends.size());
        assertEquals("uffd", backends.get(0).get("backend").asText());
        assertTrue(backends.get(0).get("isDefault").asBoolean());
        assertEquals("software", backends.get(1).get("backend").asText());
        assertEquals(2.5, backends.get(1).get("faultP50VsTcpRtt").asDouble());
        assertEquals(List.of("count", "p50", "p99", "p999", "max", "uncorrectedP99"),
            names(backends.get(1).get("idleFaultLatencyUs")));
    }

    @Test
    void shouldKeepTheRawFiguresAndTheModeFieldsWhenModesWereNotMeasured() throws Exception {
        JsonNode figures = JSON.readTree(BenchOutput.toJson(SummaryFixtures.fixed())).get("figures");

        assertEquals(List.of("guest", "tcpRoundTrip", "uffdHandler", "presentRead", "throughput", "migrations",
            "modes", "prefetch"), names(figures));
        JsonNode modes = figures.get("modes");
        assertEquals(false, modes.get("measured").asBoolean());
        assertTrue(modes.get("postcopy").isNull() && modes.get("hybrid").isNull() && modes.get("precopy").isNull());
        assertEquals(10_000.0, figures.get("uffdHandler").get("cNsPerFault").asDouble());
        assertEquals(2.0e9, figures.get("throughput").get("tcpBulkBytesPerSecond").asDouble());
    }

    @Test
    void shouldGradeEveryGoalWithItsFigure() throws Exception {
        JsonNode goals = JSON.readTree(BenchOutput.toJson(SummaryFixtures.fixed())).get("goals");

        assertEquals(9, goals.size());
        for (JsonNode goal : goals) {
            assertEquals(List.of("metric", "goal", "value", "status", "note"), names(goal));
        }
        assertEquals("loadedFaultP99VsIdleP99", goals.get(2).get("metric").asText());
        assertEquals(Goals.MISS, goals.get(2).get("status").asText());
        assertEquals(Goals.PASS, goals.get(0).get("status").asText());
    }

    @Test
    void shouldReadBackWhatItWrote() throws Exception {
        BenchSummary summary = SummaryFixtures.fixed();

        assertEquals(summary, JSON.readValue(BenchOutput.toJson(summary), BenchSummary.class));
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
