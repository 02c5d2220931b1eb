package io.postcopy.bench.report;

import io.postcopy.bench.BenchCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RenderCommandTest {
    @Test
    void shouldDrawTheReportFromAnExistingSummaryWithoutMeasuring(@TempDir Path directory) throws Exception {
        Path summary = Files.writeString(directory.resolve("in.json"), BenchOutput.toJson(SummaryFixtures.fixed()));
        Path out = directory.resolve("out");
        StringWriter stdout = new StringWriter();
        CommandLine line = new CommandLine(new BenchCommand());
        line.setOut(new PrintWriter(stdout, true));
        line.setErr(new PrintWriter(new StringWriter(), true));

        int code = line.execute("--render", summary.toString(), "--out", out.toString(), "--json");

        assertEquals(0, code);
        assertTrue(Files.readString(out.resolve(BenchOutput.REPORT)).contains("| `faultP50VsTcpRtt` | 1.50 |"));
        assertTrue(Files.exists(out.resolve("fault-latency.png")));
        assertEquals(BenchOutput.toJson(SummaryFixtures.fixed()).strip(), stdout.toString().strip());
    }
}
