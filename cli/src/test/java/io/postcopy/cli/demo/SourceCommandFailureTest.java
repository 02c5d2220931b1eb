package io.postcopy.cli.demo;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.Switchover;
import io.postcopy.transport.DestinationNode;
import io.postcopy.transport.DestinationOptions;
import io.postcopy.transport.DestinationResult;
import io.postcopy.transport.MigrationProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postcopy source} in its own JVM tells what to do when its destination dies, before or after switchover. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SourceCommandFailureTest {
    private final BlockingQueue<String> stderr = new LinkedBlockingQueue<>();

    private ChildJvm startSource(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("source", "--listen", "127.0.0.1:0", "--memory", "16m",
            "--vcpus", "1", "--timeout", "90s"));
        args.addAll(List.of(extra));
        return ChildJvm.start("source", args, line -> {
            stderr.add(line);
            return false;
        });
    }

    private static int port(ChildJvm source) throws InterruptedException {
        String listening = source.awaitStdoutLine(line -> line.startsWith("LISTENING "),
            System.nanoTime() + TimeUnit.SECONDS.toNanos(60), "its LISTENING line");
        String address = listening.split(" ")[1];
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    private String awaitStderr(String containing) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            String line = stderr.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertNotNull(line, "no stderr line with '" + containing + "'");
            if (line.contains(containing)) {
                return line;
            }
        }
    }

    @Test
    void shouldSayVmStillRunsAndMigrateToNextDestinationWhenFirstDiesBeforeSwitchover() throws Exception {
        try (ChildJvm source = startSource()) {
            int port = port(source);
            RawDestination.open(port, ConnectionRole.CONTROL, 0x77, null).kill();

            String said = awaitStderr("migration failed before switchover");
            assertTrue(said.contains("The VM is still running here; start another destination to retry: "
                + "postcopy dest --connect 127.0.0.1:" + port), said);

            DestinationResult result = DestinationNode.migrate(new DestinationOptions("127.0.0.1", port,
                SoftwareBackend::new, 100, 60_000), new SimpleMeterRegistry(), FaultListener.NONE,
                MigrationProgress.NONE);
            assertTrue(result.passed(), result.toString());
            int exitCode = source.awaitExit(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            assertEquals(0, exitCode, source.tail()::toString);
            assertTrue(source.remainingStdout().contains("COMPLETED"), "the source reports the retry's success");
        }
    }

    @Test
    void shouldExitTwoSayingVmStaysPausedWhenDestinationDiesAfterSwitchover() throws Exception {
        try (ChildJvm source = startSource("--bandwidth", "1m")) {
            int port = port(source);
            try (RawDestination control = RawDestination.open(port, ConnectionRole.CONTROL, 0x88, null);
                 RawDestination urgent = RawDestination.open(port, ConnectionRole.URGENT, 0x88, control.terms());
                 RawDestination background = RawDestination.open(port, ConnectionRole.BACKGROUND, 0x88,
                     control.terms())) {
                background.readUntil(Switchover.class::isInstance);
                control.kill();
                urgent.kill();
                background.kill();
            }

            assertEquals(2, source.awaitExit(System.nanoTime() + TimeUnit.SECONDS.toNanos(30)));
            String said = source.lastMessage();
            assertTrue(said.startsWith("postcopy source: PEER_GONE: migration failed after switchover"), said);
            assertTrue(said.contains("The VM stays paused here and is not resumed")
                && said.contains("pages the destination never received")
                && said.contains("restart the VM from your last snapshot"), said);
        }
    }
}
