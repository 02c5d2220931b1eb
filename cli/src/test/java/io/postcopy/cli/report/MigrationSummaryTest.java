package io.postcopy.cli.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.postcopy.cli.metrics.FaultLatencyRecorder.LatencySummary;
import io.postcopy.engine.migration.MigrationReport;
import io.postcopy.engine.migration.PageArrivals;
import io.postcopy.engine.migration.PageDigests.IntegrityResult;
import io.postcopy.engine.vm.WorkloadCheck;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MigrationSummaryTest {
    private static final long MEMORY = 64L << 20;
    private static final long PAGES = MEMORY / 4096;

    private static MigrationSummary summary(long mismatches, long violations) {
        MigrationReport report = new MigrationReport("software", MEMORY, 4096,
            new PageArrivals(1000, PAGES - 1100, 100, 0), 812.34567, 3.14159, 1000, 0,
            new IntegrityResult(PAGES - mismatches, mismatches, mismatches > 0 ? 7 : -1),
            new WorkloadCheck(5000, violations, violations > 0 ? "cell 3 went backwards" : ""));
        return MigrationSummary.of(report, "epoll", "kv", 2, new LatencySummary(1000, 45.2, 120.5, 300.1, 999.9),
            null, null);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void shouldWriteFieldNamesAndNestingExactlyWhenSerializedAsJson() throws Exception {
        JsonNode json = new ObjectMapper().readTree(ReportWriter.toJson(summary(0, 0)));

        assertEquals(List.of("result", "backend", "mode", "transport", "memoryBytes", "pageSize", "vcpus", "workload",
            "pages", "totalTimeMs", "downtimeMs", "faults", "uffdFaults", "faultLatencyUs", "integrity",
            "workloadCheck", "precopyRounds", "precopyConverged", "pagesDiscarded", "generation", "vmclock",
            "devices", "recoveries"),
            fieldNames(json));
        assertEquals(List.of("demand", "background", "zero", "duplicate", "precopy", "precopyResent"),
            fieldNames(json.get("pages")));
        assertEquals(List.of("p50", "p99", "p999", "max"), fieldNames(json.get("faultLatencyUs")));
        assertEquals(List.of("pagesVerified", "mismatches", "firstMismatchPage"), fieldNames(json.get("integrity")));
        assertEquals(List.of("itemsChecked", "violations", "firstViolation"), fieldNames(json.get("workloadCheck")));

        assertEquals("PASS", json.get("result").asText());
        assertEquals("postcopy", json.get("mode").asText());
        assertEquals("epoll", json.get("transport").asText());
        assertEquals(MEMORY, json.get("memoryBytes").asLong());
        assertEquals(4096, json.get("pageSize").asInt());
        assertEquals(2, json.get("vcpus").asInt());
        assertEquals(1000, json.get("pages").get("demand").asLong());
        assertEquals(PAGES - 1100, json.get("pages").get("background").asLong());
        assertEquals(100, json.get("pages").get("zero").asLong());
        assertEquals(812.346, json.get("totalTimeMs").asDouble());
        assertEquals(120.5, json.get("faultLatencyUs").get("p99").asDouble());
        assertEquals(PAGES, json.get("integrity").get("pagesVerified").asLong());
        assertEquals(5000, json.get("workloadCheck").get("itemsChecked").asLong());
    }

    @Test
    void shouldReadBackEqualReportWhenParsed() {
        MigrationSummary original = summary(0, 0);

        assertEquals(original, ReportWriter.parseMigration(ReportWriter.toJson(original)));
    }

    @Test
    void shouldFailWhenAnyPageMismatchesOrWorkloadCheckFails() {
        assertEquals("FAIL", summary(1, 0).result());
        assertEquals("FAIL", summary(0, 1).result());
        assertEquals("PASS", summary(0, 0).result());
    }

    @Test
    void shouldShowKeyLinesWhenPrintedAsTable() {
        String table = ReportWriter.table(summary(3, 0));

        assertTrue(table.startsWith("postcopy migration report"), table);
        assertTrue(table.lines().anyMatch(l -> l.matches("\\s+result\\s+FAIL")), table);
        assertTrue(table.contains("64 MiB in 16384 pages of 4 KiB, 2 vCPUs, workload kv"), table);
        assertTrue(table.contains("demand 1000, background " + (PAGES - 1100) + ", zero 100, duplicate 0"), table);
        assertTrue(table.contains("downtime        3.1 ms"), table);
        assertTrue(table.contains("p50 45.2 us, p99 120.5 us, p99.9 300.1 us, max 999.9 us"), table);
        assertTrue(table.contains("3 mismatches (first at page 7)"), table);
        assertTrue(table.contains("5000 items checked, 0 violations"), table);
        int valueColumn = table.lines().skip(1).mapToInt(l -> l.indexOf("  ", 2)).max().orElse(-1);
        assertTrue(table.lines().skip(1).allMatch(l -> l.charAt(valueColumn + 2) != ' '
            && l.charAt(valueColumn + 1) == ' '), () -> "values aligned in one column:\n" + table);
    }

    @Test
    void shouldNameSizesWithBinaryUnits() {
        assertEquals("256 MiB", ReportWriter.bytes(256L << 20));
        assertEquals("2 MiB", ReportWriter.bytes(2 << 20));
        assertEquals("1000 B", ReportWriter.bytes(1000));
    }
}
