package io.postcopy.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OptionValidationTest {
    private static void assertUsageError(Cli.Result result, String... expectedInMessage) {
        assertEquals(2, result.exitCode(), result::toString);
        assertTrue(result.out().isEmpty(), result::toString);
        String message = result.err().strip();
        assertEquals(1, message.lines().count(), () -> "one line expected: " + result);
        for (String expected : expectedInMessage) {
            assertTrue(message.contains(expected), () -> "'" + expected + "' missing: " + result);
        }
        assertFalse(message.contains("\tat "), () -> "no stack trace without --verbose: " + result);
    }

    @Test
    void shouldExplainSizeSyntaxWhenMemoryIsMalformed() {
        Cli.Result result = Cli.run("source", "--listen", "127.0.0.1:0", "--memory", "12x");
        assertUsageError(result, "--memory", "12x", "e.g. 1g", "postcopy source --help");
    }

    @Test
    void shouldExplainAddressSyntaxWhenListenHasNoPort() {
        Cli.Result result = Cli.run("source", "--listen", "localhost");
        assertUsageError(result, "--listen", "HOST:PORT", "127.0.0.1:7000");
    }

    @Test
    void shouldRejectPortOutOfRangeWhenListenIsGiven() {
        assertUsageError(Cli.run("source", "--listen", "127.0.0.1:70000"), "--listen", "0..65535");
    }

    @Test
    void shouldListWorkloadsWhenWorkloadIsUnknown() {
        Cli.Result result = Cli.run("demo", "--in-process", "--workload", "bitcoin");
        assertUsageError(result, "bitcoin", "sequential, random, hotset, kv");
    }

    @Test
    void shouldListBackendsWhenBackendIsUnknown() {
        Cli.Result result = Cli.run("dest", "--connect", "127.0.0.1:7000", "--backend", "kvm");
        assertUsageError(result, "kvm", "auto, software or uffd");
    }

    @Test
    void shouldFailAtOnceWithClearMessageWhenUffdBackendIsAsked() {
        // Port 1 is never served. Where userfaultfd cannot work the command fails on the backend, with the probe's
        // cause, before it tries to connect; where it works, it gets as far as the connection.
        Cli.Result result = Cli.run("dest", "--connect", "127.0.0.1:1", "--backend", "uffd");
        if (io.postcopy.engine.backend.uffd.UserfaultfdProbe.isAvailable()) {
            assertUsageError(result, "cannot connect to the source");
        } else {
            assertUsageError(result, "userfaultfd");
        }
    }

    @Test
    void shouldRejectPageSizeWhenNotFourKibOrTwoMib() {
        assertUsageError(Cli.run("demo", "--page-size", "8k"), "page size '8k'", "4k or 2m");
    }

    @Test
    void shouldRejectDurationWithoutUnit() {
        assertUsageError(Cli.run("dest", "--connect", "127.0.0.1:7000", "--timeout", "120"), "--timeout",
            "500ms or 120s");
    }

    @Test
    void shouldRejectZeroKeepaliveTimeoutOnBothSides() {
        assertUsageError(Cli.run("dest", "--connect", "127.0.0.1:7000", "--keepalive-timeout", "0ms"),
            "--keepalive-timeout=0ms", "expected: > 0");
        assertUsageError(Cli.run("source", "--listen", "127.0.0.1:0", "--keepalive-timeout", "0s"),
            "--keepalive-timeout=0ms", "expected: > 0");
    }

    @Test
    void shouldPingFourTimesPerDeadlineWhenKeepaliveIsShort() {
        assertEquals(1_000, DestCommand.pingIntervalFor(java.time.Duration.ofSeconds(10)));
        assertEquals(500, DestCommand.pingIntervalFor(java.time.Duration.ofSeconds(2)));
        assertEquals(1, DestCommand.pingIntervalFor(java.time.Duration.ofMillis(2)));
    }

    @Test
    void shouldRejectZeroTimeoutBeforeAnythingStarts() {
        assertUsageError(Cli.run("demo", "--timeout", "0ms"), "--timeout=0ms", "expected: > 0");
    }

    @Test
    void shouldNameMissingOptionWhenConnectIsMissing() {
        assertUsageError(Cli.run("dest"), "--connect");
    }

    @Test
    void shouldRejectVcpusOutOfRangeBeforeAnythingStarts() {
        assertUsageError(Cli.run("demo", "--vcpus", "0"), "vcpus=0", "1..256");
    }

    @Test
    void shouldRejectMemoryThatIsNotAPageMultiple() {
        assertUsageError(Cli.run("demo", "--in-process", "--memory", "6k"), "multiple of pageSize");
    }

    @Test
    void shouldPrintStackTraceWhenVerbose() {
        Cli.Result result = Cli.run("dest", "--connect", "127.0.0.1:1", "--backend", "software", "--verbose");
        assertEquals(2, result.exitCode(), result::toString);
        assertTrue(result.err().contains("\tat io.postcopy."), result::toString);
    }

    @Test
    void shouldListEveryCommandWhenHelpIsAsked() {
        Cli.Result result = Cli.run("--help");
        assertEquals(0, result.exitCode(), result::toString);
        for (String command : new String[] {"source", "dest", "demo"}) {
            assertTrue(result.out().contains(command), result::toString);
        }
        assertFalse(result.out().contains("--progress-lines"), "hidden options stay hidden");
    }
}
