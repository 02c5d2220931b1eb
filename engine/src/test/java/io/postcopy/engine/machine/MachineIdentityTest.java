package io.postcopy.engine.machine;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.genid.GenerationWatcher;
import io.postcopy.engine.vmclock.VmClockReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

import static io.postcopy.engine.machine.TestMachines.TIMEOUT_NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generation counter and the VM clock's disruption marker as the destination rebuilds and changes them. */
@Timeout(60)
class MachineIdentityTest {
    private static final long SOURCE_MARKER = 0x1234_5678_9ABC_DEF0L;

    @Test
    void shouldShowSourceValuesWhenRebuiltBeforeResume() {
        MachineIdentity source = MachineIdentity.fresh();
        source.counter().bump();

        MachineIdentity destination = MachineIdentity.resumeFrom(source.generation(), source.disruptionMarker());

        assertEquals(1, destination.generation());
        assertEquals(source.disruptionMarker(), destination.disruptionMarker());
        assertEquals(source.disruptionMarker(), new VmClockReader(destination.clockPage()).disruptionMarker());
        assertNotEquals(0, source.disruptionMarker());
    }

    @Test
    void shouldTellGuestAgentWhenResumed() throws InterruptedException {
        MachineIdentity identity = MachineIdentity.resumeFrom(7, SOURCE_MARKER);
        try (GuestAgent agent = GuestAgent.of("agent", identity)) {
            agent.start();

            IdentityChange change = identity.onResumed();
            int acknowledged = identity.awaitAcknowledged(TIMEOUT_NS);

            assertEquals(new IdentityChange(7, 8, SOURCE_MARKER, change.disruptionMarkerAfter()), change);
            assertNotEquals(SOURCE_MARKER, change.disruptionMarkerAfter());
            assertEquals(1, acknowledged);
            AgentObservation seen = agent.awaitAcknowledgements(1, TIMEOUT_NS);
            assertEquals(new AgentObservation(7, 8, SOURCE_MARKER, change.disruptionMarkerAfter(), 1), seen);
            assertTrue(seen.sawMigration());
        }
    }

    @Test
    void shouldCountOnlyAcknowledgingWatchersWhenDeadlinePasses() throws InterruptedException {
        MachineIdentity identity = MachineIdentity.resumeFrom(0, SOURCE_MARKER);
        try (GuestAgent agent = GuestAgent.of("agent", identity);
             GenerationWatcher silent = identity.counter().openWatcher()) {
            agent.start();
            identity.onResumed();
            long timeoutNs = TimeUnit.MILLISECONDS.toNanos(100);
            long startNs = System.nanoTime();

            int acknowledged = identity.awaitAcknowledged(timeoutNs);

            assertTrue(System.nanoTime() - startNs >= timeoutNs, "waited until the deadline");
            assertEquals(1, acknowledged, "the agent acknowledged, the silent watcher did not");
            assertTrue(silent.isReady());
        }
    }

    @Test
    void shouldReportNoAcknowledgementWhenNoGuestWatches() throws InterruptedException {
        MachineIdentity identity = MachineIdentity.resumeFrom(3, SOURCE_MARKER);

        identity.onResumed();

        assertEquals(0, identity.awaitAcknowledged(0));
    }

    @Test
    void shouldNeverReuseMarkerWhenGeneratorRepeatsIt() {
        RandomGenerator repeating = new RandomGenerator() {
            private int calls;

            @Override
            public long nextLong() {
                return calls++ < 3 ? SOURCE_MARKER : 0x5EED;
            }
        };
        MachineIdentity identity = MachineIdentity.resumeFrom(0, SOURCE_MARKER, repeating);

        IdentityChange change = identity.onResumed();

        assertEquals(0x5EED, change.disruptionMarkerAfter(), "the source's marker was skipped");
    }

    @Test
    void shouldChangeMarkerAndGenerationWhenResumedTwice() throws InterruptedException {
        MachineIdentity identity = MachineIdentity.resumeFrom(10, SOURCE_MARKER, new Random(5));
        try (GuestAgent agent = GuestAgent.of("agent", identity)) {
            agent.start();
            IdentityChange first = identity.onResumed();
            assertEquals(1, identity.awaitAcknowledged(TIMEOUT_NS));
            IdentityChange second = identity.onResumed();
            assertEquals(1, identity.awaitAcknowledged(TIMEOUT_NS));

            assertEquals(first.generationAfter(), second.generationBefore());
            assertEquals(12, second.generationAfter());
            assertNotEquals(first.disruptionMarkerAfter(), second.disruptionMarkerAfter());
            assertNotEquals(SOURCE_MARKER, second.disruptionMarkerAfter());
            assertEquals(2, agent.awaitAcknowledgements(2, TIMEOUT_NS).acknowledgements());
        }
    }

    @Test
    void shouldRejectZeroMarkerWhenRebuilding() {
        PostcopyException refused = assertThrows(PostcopyException.class, () -> MachineIdentity.resumeFrom(1, 0));

        assertEquals(ErrorCode.INVALID_ARGUMENT, refused.code());
    }

    @Test
    void shouldRejectGenerationBeyondU32WhenRebuilding() {
        PostcopyException refused = assertThrows(PostcopyException.class,
            () -> MachineIdentity.resumeFrom(1L << 32, SOURCE_MARKER));

        assertEquals(ErrorCode.INVALID_ARGUMENT, refused.code());
    }

    @Test
    void shouldPassReportOnlyWhenEverythingChangedAndWasVerified() {
        IdentityChange change = new IdentityChange(1, 2, SOURCE_MARKER, 99);

        assertTrue(MachineReport.of(change, 1, List.of(new DeviceVerification("blk0", true))).passed());
        assertFalse(MachineReport.of(change, 0, List.of()).passed());
        assertFalse(MachineReport.of(change, 1, List.of(new DeviceVerification("blk0", false))).passed());
        assertFalse(MachineReport.of(new IdentityChange(1, 2, 99, 99), 1, List.of()).passed());
    }
}
