package io.postcopy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postcopy demo} with a real source JVM and destination JVM on loopback. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TwoJvmDemoTest {
    @AfterEach
    void shouldLeaveNoChildProcess() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<ProcessHandle> alive = List.of();
        while (System.nanoTime() < deadline) {
            alive = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
            if (alive.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        }
        String leaked = alive.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList()
            .toString();
        alive.forEach(ProcessHandle::destroyForcibly);
        throw new AssertionError("child processes left behind: " + leaked);
    }

    @Test
    void shouldMigrateLosslesslyBetweenTwoJvmsWhenDemoRuns() throws Exception {
        Cli.Result result = Cli.run("demo", "--memory", "64m", "--json", "--timeout", "60s");

        assertEquals(0, result.exitCode(), result::toString);
        JsonNode report = new ObjectMapper().readTree(result.out());
        assertEquals("PASS", report.get("result").asText(), result::toString);
        assertTrue(List.of("epoll", "nio").contains(report.get("transport").asText()), result::toString);
        long pageCount = (64L << 20) / 4096;
        JsonNode pages = report.get("pages");
        assertEquals(pageCount, pages.get("demand").asLong() + pages.get("background").asLong()
            + pages.get("zero").asLong(), result::toString);
        assertEquals(0, pages.get("duplicate").asLong());
        assertEquals(0, report.get("integrity").get("mismatches").asLong());
        assertEquals(pageCount, report.get("integrity").get("pagesVerified").asLong());
        assertEquals(0, report.get("workloadCheck").get("violations").asLong());
        assertTrue(result.err().contains("100%"), result::toString);
    }

    @Test
    void shouldExitTwoWithOneLineReasonWhenMigrationCannotFinishInTime() {
        // The source gives up 1 ms after it listens, long before the dest JVM has started.
        Cli.Result result = Cli.run("demo", "--memory", "16m", "--timeout", "1ms");

        assertEquals(2, result.exitCode(), result::toString);
        assertTrue(result.out().isEmpty(), result::toString);
        String last = result.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("postcopy demo: "), result::toString);
        assertTrue(last.contains("source JVM failed") && last.contains("TIMEOUT"), result::toString);
    }
}
