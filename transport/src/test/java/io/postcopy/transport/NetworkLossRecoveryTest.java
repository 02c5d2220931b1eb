package io.postcopy.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.BackendChoice;
import io.postcopy.engine.backend.FaultBackends;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.backend.uffd.UserfaultfdProbe;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.engine.migration.MigrationReport;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.Feature;
import io.postcopy.protocol.HandshakeAnswer;
import io.postcopy.protocol.HandshakeRequest;
import io.postcopy.protocol.Protocol;
import io.postcopy.protocol.ProtocolErrorCode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recovery after a network loss in post-copy (PROTOCOL.md section 9): a proxy between destination and source resets
 * every connection once in the middle of post-copy, and the migration still completes with every page verified.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NetworkLossRecoveryTest {
    private static final long MEMORY = 32L << 20;
    private static final long PAGES = MEMORY / 4096;

    private static SourceNode source(long bandwidth) {
        return source(new SourceOptions("127.0.0.1", 0, MEMORY, 4096, 2, "kv", bandwidth, 11));
    }

    private static SourceNode source(SourceOptions options) {
        return SourceNode.start(options, new SimpleMeterRegistry());
    }

    private static CompletableFuture<SourceResult> awaitSource(SourceNode source) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return source.awaitCompletion(150_000);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * @param bandwidth   the background stream's cap: 1 MB/s leaves most pages to demand faults, so faults are in
     *                    flight at the cut; 8 MB/s keeps the background stream busy at the cut
     * @param cutFraction the share of pages installed when every connection is reset
     */
    @ParameterizedTest(name = "{0} backend, background at {1} B/s, cut at {2} of the pages")
    @CsvSource({"SOFTWARE, 1000000, 0.02", "SOFTWARE, 8000000, 0.4", "USERFAULTFD, 1000000, 0.02",
        "USERFAULTFD, 8000000, 0.4"})
    void shouldCompleteVerifiedMigrationWhenEveryConnectionIsResetMidPostcopy(BackendChoice backend, long bandwidth,
                                                                          double cutFraction) throws Exception {
        if (backend == BackendChoice.USERFAULTFD) {
            Assumptions.assumeTrue(UserfaultfdProbe.isAvailable(),
                () -> "userfaultfd unavailable: " + UserfaultfdProbe.unavailabilityCause());
        }
        ThreadWatch threads = ThreadWatch.start();
        try (LeakWatch leaks = LeakWatch.start();
             SourceNode source = source(bandwidth);
             CuttingProxy proxy = new CuttingProxy(source.localAddress().getPort())) {
            CompletableFuture<SourceResult> sent = awaitSource(source);
            AtomicBoolean cut = new AtomicBoolean();
            DestinationOptions options = new DestinationOptions("127.0.0.1", proxy.port(),
                context -> FaultBackends.create(backend, context), 200, 150_000);
            DestinationResult result = DestinationNode.migrate(options, new SimpleMeterRegistry(), FaultListener.NONE,
                (installed, total) -> {
                    if (installed > total * cutFraction && cut.compareAndSet(false, true)) {
                        proxy.cutAll();
                    }
                });
            assertTrue(cut.get(), "the network was cut during post-copy");
            MigrationReport report = result.report();
            assertEquals(1, report.recoveries(), "one network loss, recovered");
            assertEquals(0, report.integrity().mismatches(), report.integrity().toString());
            assertEquals(PAGES, report.integrity().pagesVerified());
            assertEquals(0, report.pages().duplicate(), "no page arrived twice");
            assertEquals(PAGES, report.pages().installed());
            assertTrue(report.workloadCheck().passed(), report.workloadCheck().firstViolation());
            assertTrue(result.passed(), result.toString());
            assertTrue(report.pages().demand() > 0, "demand faults were served");

            SourceResult sourceResult = sent.get(30, TimeUnit.SECONDS);
            assertEquals(1, sourceResult.recoveries());
            assertTrue(sourceResult.demandPages() + sourceResult.backgroundPages() + sourceResult.zeroPages() >= PAGES,
                "every page went out at least once");
            assertEquals(SourceVmState.MIGRATED, source.vmState());
            assertTrue(proxy.accepted() >= 6, "three connections, then three again: " + proxy.accepted());
            leaks.assertNoLeaks();
        }
        threads.assertNoNewThreadsRemain();
    }

    @Test
    void shouldFailWithTimeoutAfterRecoveryDeadlineWhenSourceNeverComesBack() throws Exception {
        ThreadWatch threads = ThreadWatch.start();
        try (LeakWatch leaks = LeakWatch.start();
             SourceNode source = source(new SourceOptions("127.0.0.1", 0, MEMORY, 4096, 2, "kv", 1_000_000, 11)
                 .withResumeWaitMs(8_000));
             CuttingProxy proxy = new CuttingProxy(source.localAddress().getPort())) {
            CompletableFuture<SourceResult> sent = awaitSource(source);
            AtomicBoolean cut = new AtomicBoolean();
            DestinationOptions options = new DestinationOptions("127.0.0.1", proxy.port(), SoftwareBackend::new, 100,
                120_000).withRecoveryTimeoutMs(3_000);
            long start = System.nanoTime();
            PostcopyException failure = assertThrows(PostcopyException.class, () -> DestinationNode.migrate(options,
                new SimpleMeterRegistry(), FaultListener.NONE, (installed, total) -> {
                    if (installed > total / 50 && cut.compareAndSet(false, true)) {
                        proxy.refuseNew(true);
                        proxy.cutAll();
                    }
                }));
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(cut.get());
            assertEquals(ErrorCode.TIMEOUT, failure.code(), failure.toString());
            assertTrue(failure.getMessage().contains("did not come back within the recovery deadline of 3000 ms"),
                failure.getMessage());
            assertTrue(elapsedMs < 60_000, "failed soon after its recovery deadline, not its 120 s timeout: "
                + elapsedMs + " ms");
            assertTrue(proxy.accepted() > 4, "it tried to reconnect: " + proxy.accepted() + " connections");

            assertRefusesResumeOfAnotherSession(source);
            java.util.concurrent.ExecutionException sourceFailure = assertThrows(
                java.util.concurrent.ExecutionException.class, () -> sent.get(60, TimeUnit.SECONDS));
            assertTrue(sourceFailure.getCause() instanceof FailedMigrationException f && !f.beforeSwitchover()
                && f.getMessage().contains("did not resume the session within 8000 ms")
                && f.getMessage().contains("stays paused here"), sourceFailure.getCause().toString());
            assertEquals(SourceVmState.PAUSED, source.vmState());
            leaks.assertNoLeaks();
        }
        threads.assertNoNewThreadsRemain();
    }

    /** While the source waits for its destination, a RESUME naming another session id is refused, typed. */
    private static void assertRefusesResumeOfAnotherSession(SourceNode source) throws Exception {
        long features = DestinationNode.REQUESTED_FEATURES | Feature.RECOVERY.mask();
        try (WireConnection stranger = WireConnection.connect(source.localAddress().getPort())) {
            HandshakeAnswer answer = stranger.requestHandshake(new HandshakeRequest(Protocol.MIN_SUPPORTED_VERSION,
                Protocol.MAX_SUPPORTED_VERSION, ConnectionRole.RESUME, features, 0, 0, 0x5EC0_0BADL));
            assertEquals(ProtocolErrorCode.SESSION_MISMATCH, answer.refusalCode());
            assertEquals(0, answer.grantedFeatures());
        }
    }
}
