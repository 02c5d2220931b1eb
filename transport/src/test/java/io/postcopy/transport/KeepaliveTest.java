package io.postcopy.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.device.DeviceMigrationState;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.engine.migration.MigrationMode;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.ErrorMessage;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.PageData;
import io.postcopy.protocol.Ping;
import io.postcopy.protocol.ProtocolErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A peer that completes the handshake and then goes silent (TCP open, nothing sent: a stopped process) is caught by
 * the keepalive within seconds, long before the migration's own deadline, on either side.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KeepaliveTest {
    /** A fake destination reads single PAGE_DATA frames, so it does not ask for PAGE_RUNS. */
    private static final long FAKE_DESTINATION_FEATURES = DestinationNode.REQUESTED_FEATURES
        & ~io.postcopy.protocol.Feature.PAGE_RUNS.mask();
    private static final long MIGRATION_TIMEOUT_MS = 60_000;
    private static final long KEEPALIVE_TIMEOUT_MS = 2_000;

    private LeakWatch leaks;
    private ThreadWatch threads;

    @BeforeEach
    void watch() {
        leaks = LeakWatch.start();
        threads = ThreadWatch.start();
    }

    @AfterEach
    void stopWatching() {
        leaks.close();
    }

    @Test
    void shouldFailWithTimeoutNamingSourceWhenSourceGoesSilentAfterHandshake() throws Exception {
        PostcopyException failure;
        long elapsedNs;
        List<Message> control = new ArrayList<>();
        try (FakeSource source = new FakeSource(0)) {
            DestinationOptions options = new DestinationOptions("127.0.0.1", source.port(), SoftwareBackend::new, 0,
                MIGRATION_TIMEOUT_MS).withKeepalive(200, KEEPALIVE_TIMEOUT_MS);
            long start = System.nanoTime();
            failure = assertThrows(PostcopyException.class, () -> DestinationNode.migrate(options,
                new SimpleMeterRegistry(), FaultListener.NONE, MigrationProgress.NONE));
            elapsedNs = System.nanoTime() - start;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (control.isEmpty() || !(control.getLast() instanceof ErrorMessage)) {
                Message next = source.received(ConnectionRole.CONTROL).poll(Math.max(1, deadline - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
                if (next == null) {
                    break;
                }
                control.add(next);
            }
            assertEquals(java.util.Set.of(ConnectionRole.CONTROL, ConnectionRole.URGENT, ConnectionRole.BACKGROUND),
                source.acceptedRoles(), "the destination was waiting for the resume state on every connection");
        }

        assertEquals(ErrorCode.TIMEOUT, failure.code(), failure.toString());
        assertTrue(failure.getMessage().contains("the source at 127.0.0.1:"), failure.getMessage());
        assertTrue(failure.getMessage().contains("keepalive"), failure.getMessage());
        assertTrue(elapsedNs < TimeUnit.SECONDS.toNanos(20), "caught by the keepalive after "
            + TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms, not by the " + MIGRATION_TIMEOUT_MS + " ms deadline");
        assertTrue(elapsedNs >= TimeUnit.MILLISECONDS.toNanos(KEEPALIVE_TIMEOUT_MS), "not before the deadline");
        List<Long> nonces = control.stream().filter(Ping.class::isInstance).map(m -> ((Ping) m).nonce()).toList();
        assertTrue(nonces.size() >= 3, "the destination kept pinging: " + control);
        for (int i = 1; i < nonces.size(); i++) {
            assertTrue(nonces.get(i) > nonces.get(i - 1), "every PING has a fresh nonce: " + nonces);
        }
        ErrorMessage told = assertInstanceOf(ErrorMessage.class, control.getLast(), "then it said why: " + control);
        assertEquals(ProtocolErrorCode.TIMEOUT, told.code());
        threads.assertNoNewThreadsRemain();
        leaks.assertNoLeaks();
    }

    @Test
    void shouldFailSessionAndRollBackWhenDestinationGoesSilentBeforeSwitchover() throws Exception {
        SourceOptions options = new SourceOptions("127.0.0.1", 0, 16L << 20, 4096, 1, "kv", 4L << 20, 3,
            MigrationMode.HYBRID, 3, 30, 50).withPeerIdleTimeoutMs(KEEPALIVE_TIMEOUT_MS);
        try (SourceNode source = SourceNode.start(options, new SimpleMeterRegistry())) {
            List<Message> control = new ArrayList<>();
            long start;
            try (WireConnection destination = WireConnection.connect(source.localAddress().getPort());
                 WireConnection background = WireConnection.connect(source.localAddress().getPort())) {
                var terms = destination.handshake(ConnectionRole.CONTROL, FAKE_DESTINATION_FEATURES, 0, 0,
                    0x51_1e47L);
                background.handshake(ConnectionRole.BACKGROUND, FAKE_DESTINATION_FEATURES,
                    terms.pageSizeInBytes(), terms.pageCount(), terms.sessionId());
                io.netty.util.ReferenceCountUtil.release(background.readUntil(m -> m instanceof PageData));
                start = System.nanoTime();
                assertEquals(DeviceMigrationState.PRE_COPY, source.devices().block().migration().state(),
                    "precopy had begun");
                // Silent from now on: no PING, no request. The source's messages are read, so TCP is not the limit.
                Thread reader = Thread.ofPlatform().daemon().start(background::drainToEnd);
                PostcopyException failure = assertThrows(PostcopyException.class,
                    () -> source.awaitCompletion(MIGRATION_TIMEOUT_MS));
                long elapsedNs = System.nanoTime() - start;

                assertEquals(ErrorCode.TIMEOUT, failure.code(), failure.toString());
                assertTrue(failure.getMessage().contains("the destination at /127.0.0.1:"), failure.getMessage());
                assertTrue(failure.getMessage().contains("before switchover"), failure.getMessage());
                assertTrue(elapsedNs < TimeUnit.SECONDS.toNanos(20), "noticed after "
                    + TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms");
                Message last = destination.drainToEnd();
                control.add(last);
                reader.join(10_000);
            }
            ErrorMessage told = assertInstanceOf(ErrorMessage.class, control.getLast(), "the source said why");
            assertEquals(ProtocolErrorCode.TIMEOUT, told.code());
            assertEquals(SourceVmState.RUNNING, source.vmState());
            assertEquals(DeviceMigrationState.RUNNING, source.devices().block().migration().state());
            assertEquals(DeviceMigrationState.RUNNING, source.devices().net().migration().state());
            assertTrue(!source.dirtyLog().isTracking(), "dirty tracking stopped");
        }
        threads.assertNoNewThreadsRemain();
        leaks.assertNoLeaks();
    }

    @Test
    void shouldRejectKeepaliveSettingsWhenTimeoutIsNotAboveInterval() {
        DestinationOptions defaults = new DestinationOptions("127.0.0.1", 7000, SoftwareBackend::new, 0, 1_000);
        assertEquals(DestinationOptions.DEFAULT_PING_INTERVAL_MS, defaults.pingIntervalMs());
        assertEquals(DestinationOptions.DEFAULT_KEEPALIVE_TIMEOUT_MS, defaults.keepaliveTimeoutMs());
        PostcopyException e = assertThrows(PostcopyException.class, () -> defaults.withKeepalive(1_000, 1_000));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("keepaliveTimeoutMs=1000"), e.getMessage());
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(PostcopyException.class,
            () -> new SourceOptions("127.0.0.1", 0, 16L << 20, 4096, 1, "kv", 0, 3).withPeerIdleTimeoutMs(0)).code());
    }
}
