package io.postcopy.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.backend.uffd.UserfaultfdProbe;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.engine.migration.MigrationReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoopbackMigrationTest {
    private static SourceNode source(long memoryBytes, String workload, long bandwidth) {
        return SourceNode.start(new SourceOptions("127.0.0.1", 0, memoryBytes, 4096, 2, workload, bandwidth, 7),
            new SimpleMeterRegistry());
    }

    private static DestinationOptions destination(SourceNode source, long timeoutMs) {
        return new DestinationOptions("127.0.0.1", source.localAddress().getPort(), SoftwareBackend::new, 100,
            timeoutMs);
    }

    @Test
    void shouldMigrateLosslesslyBetweenTwoNodesOverTcp() throws Exception {
        try (SourceNode source = source(64L << 20, "kv", 0)) {
            CompletableFuture<SourceResult> sent = CompletableFuture.supplyAsync(() -> {
                try {
                    return source.awaitCompletion(60_000);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            AtomicLong lastProgress = new AtomicLong();
            DestinationResult result = DestinationNode.migrate(destination(source, 60_000), new SimpleMeterRegistry(),
                FaultListener.NONE, (installed, total) -> lastProgress.set(installed));
            MigrationReport report = result.report();
            long pages = (64L << 20) / 4096;
            assertEquals(0, report.integrity().mismatches(), report.integrity().toString());
            assertEquals(pages, report.integrity().pagesVerified());
            assertEquals(0, report.pages().duplicate());
            assertEquals(pages, report.pages().installed());
            assertTrue(report.workloadCheck().passed(), report.workloadCheck().firstViolation());
            assertTrue(report.passed());
            assertEquals(pages, lastProgress.get());
            assertEquals("kv", result.workload());
            assertTrue(result.machine().passed(), result.machine().toString());
            assertTrue(report.downtimeMs() >= 0 && report.downtimeMs() < 5_000, "downtime " + report.downtimeMs());
            SourceResult sourceResult = sent.get(30, TimeUnit.SECONDS);
            assertEquals(pages, sourceResult.demandPages() + sourceResult.backgroundPages() + sourceResult.zeroPages(),
                "the source sent every page exactly once");
            assertEquals(report.pages().demand(), sourceResult.demandPages());
        }
    }

    @Test
    void shouldHonourBandwidthCapOnBackgroundStream() throws Exception {
        long bytesPerSecond = 16L << 20;
        try (SourceNode source = source(8L << 20, "sequential", bytesPerSecond)) {
            long start = System.nanoTime();
            DestinationResult result = DestinationNode.migrate(destination(source, 60_000), new SimpleMeterRegistry(),
                FaultListener.NONE, MigrationProgress.NONE);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(result.report().passed());
            long backgroundBytes = result.report().pages().background() * 4096;
            assertTrue(seconds >= backgroundBytes / (double) bytesPerSecond * 0.8, "background " + backgroundBytes
                + " bytes in " + seconds + " s exceeds the cap of " + bytesPerSecond + " B/s");
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = io.postcopy.engine.backend.BackendChoice.class,
        names = {"SOFTWARE", "USERFAULTFD"})
    void shouldFailFastWithPeerGoneWhenSourceDiesMidMigration(io.postcopy.engine.backend.BackendChoice backend)
        throws Exception {
        if (backend == io.postcopy.engine.backend.BackendChoice.USERFAULTFD) {
            org.junit.jupiter.api.Assumptions.assumeTrue(UserfaultfdProbe.isAvailable(),
                () -> "userfaultfd unavailable: " + UserfaultfdProbe.unavailabilityCause());
        }
        SourceNode source = source(64L << 20, "kv", 8L << 20);
        java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
        long start = System.nanoTime();
        try {
            DestinationOptions options = new DestinationOptions("127.0.0.1", source.localAddress().getPort(),
                context -> io.postcopy.engine.backend.FaultBackends.create(backend, context), 100, 60_000)
                .withRecoveryTimeoutMs(2_000);
            PostcopyException e = assertThrows(PostcopyException.class, () -> DestinationNode.migrate(
                options, new SimpleMeterRegistry(), FaultListener.NONE, (installed, total) -> {
                    if (installed > 0 && installed < total && killed.compareAndSet(false, true)) {
                        Thread.ofPlatform().daemon().start(source::close);
                    }
                }));
            assertTrue(killed.get(), "the source was killed while pages were still arriving");
            assertTrue(e.code() == ErrorCode.PEER_GONE || e.code() == ErrorCode.TIMEOUT, e.toString());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30),
                "the destination noticed long before its 60 s deadline");
        } finally {
            if (!killed.get()) {
                source.close();
            }
        }
    }

    @Test
    void shouldFailClearlyWhenNoSourceListens() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        DestinationOptions options = new DestinationOptions("127.0.0.1", port, SoftwareBackend::new, 0, 5_000);
        PostcopyException e = assertThrows(PostcopyException.class, () -> DestinationNode.migrate(options,
            new SimpleMeterRegistry(), FaultListener.NONE, MigrationProgress.NONE));
        assertEquals(ErrorCode.PEER_GONE, e.code());
        assertTrue(e.getMessage().contains("postcopy source"), e.getMessage());
    }

    @Test
    void shouldFailWithTypedErrorWhenSourceSendsGarbage() throws Exception {
        try (ServerSocket fake = new ServerSocket(0)) {
            Thread peer = Thread.ofPlatform().daemon().start(() -> {
                try (Socket socket = fake.accept()) {
                    InputStream in = socket.getInputStream();
                    in.readNBytes(4);
                    OutputStream out = socket.getOutputStream();
                    out.write(new byte[] {0, 0, 0, 5, (byte) 0x7F, 1, 2, 3, 4});
                    out.flush();
                    in.readAllBytes();
                } catch (java.io.IOException ignored) {
                    // the destination closing the connection is the expected end
                }
            });
            DestinationOptions options = new DestinationOptions("127.0.0.1", fake.getLocalPort(), SoftwareBackend::new,
                0, 10_000);
            PostcopyException e = assertThrows(PostcopyException.class, () -> DestinationNode.migrate(options,
                new SimpleMeterRegistry(), FaultListener.NONE, MigrationProgress.NONE));
            assertTrue(e.code() == ErrorCode.UNKNOWN_MESSAGE_TYPE || e.code() == ErrorCode.UNEXPECTED_MESSAGE,
                e.toString());
            peer.join(10_000);
        }
    }

    @Test
    void shouldTimeOutWhenSourceStallsDuringHandshake() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            DestinationOptions options = new DestinationOptions("127.0.0.1", silent.getLocalPort(),
                SoftwareBackend::new, 0, 1_000);
            PostcopyException e = assertThrows(PostcopyException.class, () -> DestinationNode.migrate(options,
                new SimpleMeterRegistry(), FaultListener.NONE, MigrationProgress.NONE));
            assertEquals(ErrorCode.TIMEOUT, e.code(), e.toString());
        }
    }
}
