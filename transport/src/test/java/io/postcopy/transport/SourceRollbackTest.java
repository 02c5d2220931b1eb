package io.postcopy.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.ReferenceCountUtil;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.device.DeviceMigrationState;
import io.postcopy.engine.device.SimulatedDevice;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.engine.migration.MigrationMode;
import io.postcopy.engine.migration.MigrationReport;
import io.postcopy.engine.migration.PageDigests;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.HandshakeAnswer;
import io.postcopy.protocol.HandshakeRequest;
import io.postcopy.protocol.NegotiatedSession;
import io.postcopy.protocol.PageData;
import io.postcopy.protocol.PageDataOrigin;
import io.postcopy.protocol.Protocol;
import io.postcopy.protocol.ProtocolErrorCode;
import io.postcopy.protocol.Switchover;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A destination that dies mid-migration: before switchover the source is rolled back to exactly where it was and
 * migrates again to another destination; after switchover it stays paused with its memory.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SourceRollbackTest {
    /** A fake destination reads single PAGE_DATA frames, so it does not ask for PAGE_RUNS. */
    private static final long FAKE_DESTINATION_FEATURES = DestinationNode.REQUESTED_FEATURES
        & ~io.postcopy.protocol.Feature.PAGE_RUNS.mask();
    private static final long MEMORY = 16L << 20;
    private static final long PAGES = MEMORY / 4096;

    /** The three connections of a fake destination built from the real codec. */
    private record FakeDestination(WireConnection control, WireConnection urgent, WireConnection background,
                                   NegotiatedSession terms) {
        static FakeDestination connect(SourceNode source, long sessionId) throws IOException {
            int port = source.localAddress().getPort();
            WireConnection control = WireConnection.connect(port);
            NegotiatedSession terms = control.handshake(ConnectionRole.CONTROL, FAKE_DESTINATION_FEATURES,
                0, 0, sessionId);
            WireConnection urgent = WireConnection.connect(port);
            urgent.handshake(ConnectionRole.URGENT, FAKE_DESTINATION_FEATURES, terms.pageSizeInBytes(),
                terms.pageCount(), sessionId);
            WireConnection background = WireConnection.connect(port);
            background.handshake(ConnectionRole.BACKGROUND, FAKE_DESTINATION_FEATURES,
                terms.pageSizeInBytes(), terms.pageCount(), sessionId);
            return new FakeDestination(control, urgent, background, terms);
        }

        /** Dies like a killed process: every connection reset at once. */
        void kill() {
            control.kill();
            urgent.kill();
            background.kill();
        }
    }

    @Test
    void shouldRollBackAndMigrateAgainWhenDestinationDiesMidPrecopyInHybridMode() throws Exception {
        // 8 MB/s: the first precopy round of 16 MiB takes about 2 s, so the destination dies in the middle of it.
        SourceOptions options = new SourceOptions("127.0.0.1", 0, MEMORY, 4096, 2, "kv", 8L << 20, 5,
            MigrationMode.HYBRID, 2, 30, 50);
        try (SourceNode source = SourceNode.start(options, new SimpleMeterRegistry())) {
            FakeDestination first = FakeDestination.connect(source, 0x1111);
            for (int i = 0; i < 100; i++) {
                ReferenceCountUtil.release(first.background().readUntil(
                    m -> m instanceof PageData page && page.origin() == PageDataOrigin.PRECOPY));
            }
            assertEquals(DeviceMigrationState.PRE_COPY, source.devices().block().migration().state());
            assertTrue(source.dirtyLog().isTracking(), "precopy tracks the guest's writes");
            first.kill();

            PostcopyException failure = assertThrows(PostcopyException.class, () -> source.awaitCompletion(30_000));
            assertEquals(ErrorCode.PEER_GONE, failure.code(), failure.toString());
            assertTrue(failure.getMessage().contains("before switchover")
                && failure.getMessage().contains("keeps running here"), failure.getMessage());
            assertRolledBack(source);

            DestinationResult result = DestinationNode.migrate(new DestinationOptions("127.0.0.1",
                source.localAddress().getPort(), SoftwareBackend::new, 100, 60_000), new SimpleMeterRegistry(),
                FaultListener.NONE, MigrationProgress.NONE);
            SourceResult sent = source.awaitCompletion(30_000);

            MigrationReport report = result.report();
            assertEquals(0, report.integrity().mismatches(), report.integrity().toString());
            assertEquals(PAGES, report.integrity().pagesVerified());
            assertEquals(PAGES + report.pages().discarded(), report.pages().installed());
            assertTrue(report.workloadCheck().passed(), report.workloadCheck().firstViolation());
            assertTrue(report.pages().precopy() > 0, "the retry ran its own precopy rounds");
            assertEquals(List.of("blk0", "net0"), result.machine().devices().stream()
                .map(io.postcopy.engine.machine.DeviceVerification::name).toList());
            assertTrue(result.machine().passed(), "devices verified at the second destination: " + result.machine());
            assertTrue(result.passed());
            assertEquals(report.pages().demand(), sent.demandPages(), "the source's count is the retry's alone");
            assertEquals(SourceVmState.MIGRATED, source.vmState());
        }
    }

    private static void assertRolledBack(SourceNode source) {
        assertEquals(SourceVmState.RUNNING, source.vmState());
        for (SimulatedDevice device : List.<SimulatedDevice>of(source.devices().block(), source.devices().net())) {
            assertEquals(DeviceMigrationState.RUNNING, device.migration().state(), device.name());
            assertFalse(device.dirtyLog().isTracking(), device.name() + " stopped logging its DMA");
        }
        assertFalse(source.dirtyLog().isTracking(), "dirty tracking of the guest's writes stopped");
        assertTrue(source.devices().driver().isRunning(), "the guest's device driver runs");
        long steps = source.vm().totalSteps();
        long cycles = source.devices().driver().cycles();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (source.vm().totalSteps() <= steps + 1000 || source.devices().driver().cycles() <= cycles + 10) {
            assertTrue(System.nanoTime() < deadline, "the VM and its devices keep running");
            Thread.onSpinWait();
        }
        assertTrue(source.vm().failure().isEmpty(), () -> "vCPU failed: " + source.vm().failure());
        assertTrue(source.devices().driver().failure().isEmpty(),
            () -> "driver: " + source.devices().driver().failure());
    }

    @Test
    void shouldStayPausedWithItsMemoryWhenDestinationDiesAfterSwitchover() throws Exception {
        // 2 MB/s: most pages are still unsent when the destination dies right after switchover.
        SourceOptions options = new SourceOptions("127.0.0.1", 0, MEMORY, 4096, 2, "kv", 2L << 20, 5);
        try (SourceNode source = SourceNode.start(options, new SimpleMeterRegistry())) {
            FakeDestination destination = FakeDestination.connect(source, 0x2222);
            destination.background().readUntil(Switchover.class::isInstance);
            destination.kill();

            PostcopyException failure = assertThrows(PostcopyException.class, () -> source.awaitCompletion(30_000));
            assertEquals(ErrorCode.PEER_GONE, failure.code(), failure.toString());
            assertTrue(failure.getMessage().contains("after switchover")
                && failure.getMessage().contains("stays paused here with its memory")
                && failure.getMessage().contains("pages the destination was never sent"), failure.getMessage());
            assertEquals(SourceVmState.PAUSED, source.vmState());

            long steps = source.vm().totalSteps();
            PageDigests before = PageDigests.of(source.memory());
            Thread.sleep(300);
            PageDigests after = PageDigests.of(source.memory());
            assertEquals(steps, source.vm().totalSteps(), "the VM stays paused");
            assertEquals(0, after.compareWith(before).mismatches(), "its memory stays as it was at switchover");
            assertFalse(source.devices().driver().isRunning(), "the devices stay stopped");

            try (WireConnection another = WireConnection.connect(source.localAddress().getPort())) {
                HandshakeAnswer answer = another.requestHandshake(new HandshakeRequest(Protocol.MIN_SUPPORTED_VERSION,
                    Protocol.MAX_SUPPORTED_VERSION, ConnectionRole.CONTROL, FAKE_DESTINATION_FEATURES, 0, 0,
                    0x3333));
                assertEquals(ProtocolErrorCode.UNEXPECTED_MESSAGE, answer.refusalCode(),
                    "no second migration of a VM that may be running elsewhere");
            }
            assertEquals(SourceVmState.PAUSED, source.vmState());
        }
    }
}
