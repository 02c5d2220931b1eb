package io.postcopy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InProcessDemoCommandTest {
    @Test
    void shouldPrintOnePassingJsonReportWhenInProcessDemoRuns() throws Exception {
        Cli.Result result = Cli.run("demo", "--in-process", "--memory", "64m", "--json", "--run-after", "100ms");

        assertEquals(0, result.exitCode(), result::toString);
        JsonNode report = new ObjectMapper().readTree(result.out());
        assertEquals("PASS", report.get("result").asText(), result::toString);
        assertEquals("in-process", report.get("transport").asText());
        assertEquals(io.postcopy.engine.backend.FaultBackends.resolve(io.postcopy.engine.backend.BackendChoice.AUTO)
            .cliName(), report.get("backend").asText(), "auto picks userfaultfd where the probe says it works");
        long pageCount = (64L << 20) / 4096;
        JsonNode pages = report.get("pages");
        assertEquals(pageCount, pages.get("demand").asLong() + pages.get("background").asLong()
            + pages.get("zero").asLong());
        assertEquals(0, pages.get("duplicate").asLong());
        assertEquals(pageCount, report.get("integrity").get("pagesVerified").asLong());
        assertEquals(0, report.get("integrity").get("mismatches").asLong());
        assertTrue(report.get("workloadCheck").get("itemsChecked").asLong() > 0);
        assertTrue(result.err().contains("100%"), () -> "plain progress lines when stderr is no terminal: " + result);
    }

    @Test
    void shouldPrintTableWhenJsonIsNotAsked() {
        Cli.Result result = Cli.run("demo", "--in-process", "--memory", "16m", "--workload", "sequential",
            "--run-after", "0ms");

        assertEquals(0, result.exitCode(), result::toString);
        assertTrue(result.out().startsWith("postcopy migration report"), result::toString);
        assertTrue(result.out().lines().anyMatch(l -> l.matches("\\s+result\\s+PASS")), result::toString);
    }
}
