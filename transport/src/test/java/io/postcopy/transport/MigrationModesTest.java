package io.postcopy.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.engine.migration.MigrationMode;
import io.postcopy.engine.migration.MigrationReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MigrationModesTest {
    private static final long MEMORY = 32L << 20;
    private static final long PAGES = MEMORY / 4096;

    private static DestinationResult migrate(MigrationMode mode, String workload, int hybridRounds, int maxRounds)
        throws InterruptedException {
        return migrate(mode, workload, hybridRounds, maxRounds, 50);
    }

    private static DestinationResult migrate(MigrationMode mode, String workload, int hybridRounds, int maxRounds,
                                             long downtimeBudgetMs) throws InterruptedException {
        SourceOptions options = new SourceOptions("127.0.0.1", 0, MEMORY, 4096, 2, workload, 0, 11, mode,
            hybridRounds, maxRounds, downtimeBudgetMs);
        try (SourceNode source = SourceNode.start(options, new SimpleMeterRegistry())) {
            return DestinationNode.migrate(new DestinationOptions("127.0.0.1", source.localAddress().getPort(),
                SoftwareBackend::new, 100, 60_000), new SimpleMeterRegistry(), FaultListener.NONE,
                MigrationProgress.NONE);
        }
    }

    private static void assertLossless(MigrationReport report) {
        assertEquals(0, report.integrity().mismatches(), report.integrity().toString());
        assertEquals(PAGES, report.integrity().pagesVerified());
        assertEquals(0, report.pages().duplicate());
        assertEquals(PAGES + report.pages().discarded(), report.pages().installed(),
            "every page installed once, plus once more for each discarded stale page");
        assertTrue(report.workloadCheck().passed(), report.workloadCheck().firstViolation());
        assertTrue(report.passed());
    }

    @Test
    void shouldDiscardStalePagesAndFinishInPostcopyWhenHybridMigratesWriteHeavyGuest() throws Exception {
        DestinationResult result = migrate(MigrationMode.HYBRID, "kv", 2, 30);
        assertLossless(result.report());
        assertEquals(MigrationMode.HYBRID, result.migration().mode());
        assertTrue(result.migration().precopyRounds() >= 1 && result.migration().precopyRounds() <= 2);
        assertTrue(result.report().pages().precopy() > 0, "precopy rounds sent pages while the VM ran");
        assertTrue(result.migration().pagesDiscarded() > 0, "a write-heavy guest dirties pages precopy already sent");
        assertEquals(result.migration().pagesDiscarded(), result.report().pages().discarded());
        assertMachineMigrated(result);
    }

    private static void assertMachineMigrated(DestinationResult result) {
        assertEquals(java.util.List.of("blk0", "net0"),
            result.machine().devices().stream().map(io.postcopy.engine.machine.DeviceVerification::name).toList());
        assertTrue(result.machine().devices().stream().allMatch(
            io.postcopy.engine.machine.DeviceVerification::verified), result.machine().toString());
        assertEquals(result.machine().generation().before() + 1, result.machine().generation().after());
        assertEquals(1, result.machine().generation().watchersAcknowledged(), "the guest agent acknowledged");
        assertTrue(result.machine().vmclock().disruptionMarkerAfter()
            != result.machine().vmclock().disruptionMarkerBefore(), "a new disruption marker after migration");
        assertTrue(result.passed());
    }

    @Test
    void shouldNeverFaultWhenPrecopyConvergesOnReadOnlyGuest() throws Exception {
        DestinationResult result = migrate(MigrationMode.PRECOPY, "sequential", 2, 30);
        assertLossless(result.report());
        assertTrue(result.migration().converged());
        assertEquals(1, result.migration().precopyRounds(), "nothing is dirtied, so one round suffices");
        assertEquals(0, result.report().pages().demand(), "everything was there before the VM resumed");
        assertEquals(0, result.report().faults());
        assertMachineMigrated(result);
    }

    @Test
    void shouldGiveUpAfterRoundLimitAndStillBeLosslessWhenPrecopyCannotConverge() throws Exception {
        // A 1 ms budget: sending a write-heavy guest's dirty set (every page of it) in 1 ms would take > 30 GB/s.
        DestinationResult result = migrate(MigrationMode.PRECOPY, "kv", 2, 3, 1);
        assertLossless(result.report());
        assertFalse(result.migration().converged(), "a kv guest dirties pages faster than they are sent");
        assertEquals(3, result.migration().precopyRounds());
        assertEquals(0, result.report().pages().demand());
    }
}
