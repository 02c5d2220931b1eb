package io.postcopy.engine.machine;

import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.device.BlockDevice;
import io.postcopy.engine.device.BlockDeviceSnapshot;
import io.postcopy.engine.device.DeviceMigrationState;
import io.postcopy.engine.device.NetDevice;
import io.postcopy.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static io.postcopy.engine.machine.TestMachines.GEOMETRY;
import static io.postcopy.engine.machine.TestMachines.TIMEOUT_NS;
import static io.postcopy.engine.machine.TestMachines.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A running machine migrates inside one process: devices busy with DMA while precopy runs, stop-and-copy, the
 * destination loads and verifies both devices, the guest is told of a new generation and a clock disruption,
 * and the migrated devices keep working on the destination.
 */
@Timeout(60)
class InProcessMachineMigrationTest {
    private static final int PRECOPY_CYCLES = 50;

    @Test
    void shouldCarryDevicesGenerationAndClockWhenMigratedInProcess() throws InterruptedException {
        MachineDevices.Settings settings = TestMachines.settings();
        MachineIdentity sourceIdentity = MachineIdentity.fresh();
        sourceIdentity.counter().forceUpdate(41);
        List<DeviceChunk> chunks = new ArrayList<>();
        try (GuestMemory sourceMemory = GuestMemory.allocate(GEOMETRY);
             MachineDevices source = TestMachines.source(sourceMemory, settings)) {
            runPrecopyAndStopAndCopy(source, sourceMemory, settings, chunks);
            assertChunksNumberedPerDevice(chunks, source.deviceNames());

            try (SoftwareBackend backend = TestMachines.copyOf(sourceMemory);
                 MachineDevices destination = TestMachines.destination(backend, settings)) {
                MachineIdentity identity = MachineIdentity.resumeFrom(sourceIdentity.generation(),
                    sourceIdentity.disruptionMarker());
                try (GuestAgent agent = GuestAgent.of("guest-agent", identity)) {
                    agent.start();
                    destination.beginResume();
                    chunks.forEach(destination::acceptChunk);
                    List<DeviceVerification> devices = destination.finishResume();

                    assertEquals(List.of(new DeviceVerification("blk0", true), new DeviceVerification("net0", true)),
                        devices, () -> "failures: " + destination.verificationFailures());
                    assertEquals(source.block().snapshot(), destination.block().snapshot());
                    assertEquals(source.net().snapshot(), destination.net().snapshot());
                    assertArrayEquals(source.block().stateDigest(), destination.block().stateDigest());
                    assertEquals(DeviceMigrationState.RUNNING, destination.block().migration().state());
                    assertEquals(DeviceMigrationState.RUNNING, destination.net().migration().state());

                    IdentityChange change = identity.onResumed();
                    int acknowledged = identity.awaitAcknowledged(TIMEOUT_NS);
                    MachineReport report = MachineReport.of(change, acknowledged, devices);

                    assertTrue(report.passed(), report::toString);
                    assertEquals(new MachineReport.GenerationReport(41, 42, 1), report.generation());
                    assertEquals(sourceIdentity.disruptionMarker(), report.vmclock().disruptionMarkerBefore());
                    assertNotEquals(report.vmclock().disruptionMarkerBefore(),
                        report.vmclock().disruptionMarkerAfter());
                    AgentObservation seen = agent.awaitAcknowledgements(1, TIMEOUT_NS);
                    assertEquals(new AgentObservation(41, 42, change.disruptionMarkerBefore(),
                        change.disruptionMarkerAfter(), 1), seen, "what the guest saw");
                }
                assertMigratedDevicesKeepWorking(source, destination);
            }
        }
    }

    private static void runPrecopyAndStopAndCopy(MachineDevices source, GuestMemory sourceMemory,
                                                 MachineDevices.Settings settings, List<DeviceChunk> chunks) {
        source.startDriver();
        await(() -> source.driver().cycles() >= PRECOPY_CYCLES, TIMEOUT_NS, "the driver's first cycles");
        source.startPrecopy();
        byte[] windowAtPrecopy = window(sourceMemory, settings);
        Set<Long> dirty = new TreeSet<>();
        long precopyStartCycles = source.driver().cycles();
        long deadlineNs = System.nanoTime() + TIMEOUT_NS;
        while (source.driver().cycles() < precopyStartCycles + PRECOPY_CYCLES && System.nanoTime() < deadlineNs) {
            source.drainPrecopyChunks(chunks::add);
            source.dirtyPages(dirty::add);
        }
        int precopyChunks = chunks.size();
        source.stopAndCopy(chunks::add);
        source.dirtyPages(dirty::add);

        assertFalse(source.driver().isRunning(), "stopAndCopy stops the driver");
        assertTrue(source.driver().failure().isEmpty(), () -> "driver failed: " + source.driver().failure());
        assertTrue(source.driver().cycles() >= precopyStartCycles + PRECOPY_CYCLES, "the driver ran during precopy");
        assertTrue(precopyChunks > 0 && chunks.size() > precopyChunks, "chunks in both phases: " + precopyChunks
            + " then " + (chunks.size() - precopyChunks));
        assertChangedPagesWereReported(windowAtPrecopy, window(sourceMemory, settings), settings, dirty);
        assertEquals(1, ((BlockDeviceSnapshot) source.block().snapshot()).queue().size(),
            "a block request was queued when the device stopped");
    }

    private static void assertChangedPagesWereReported(byte[] before, byte[] after, MachineDevices.Settings settings,
                                                       Set<Long> dirty) {
        long firstPage = settings.dmaWindowOffset() / GEOMETRY.pageSize();
        int changed = 0;
        for (int page = 0; page < before.length / GEOMETRY.pageSize(); page++) {
            int from = page * GEOMETRY.pageSize();
            int to = from + GEOMETRY.pageSize();
            if (!Arrays.equals(before, from, to, after, from, to)) {
                changed++;
                assertTrue(dirty.contains(firstPage + page), "page " + (firstPage + page) + " changed by DMA "
                    + "but was not reported dirty; reported " + dirty);
            }
        }
        assertTrue(changed > 0, "the devices changed guest memory during precopy");
        long lastPage = firstPage + settings.dmaWindowBytes() / GEOMETRY.pageSize() - 1;
        assertTrue(dirty.stream().allMatch(page -> page >= firstPage && page <= lastPage),
            "only pages of the DMA window are dirtied by devices: " + dirty);
    }

    private static void assertChunksNumberedPerDevice(List<DeviceChunk> chunks, List<String> names) {
        for (String name : names) {
            List<DeviceChunk> own = chunks.stream().filter(c -> c.deviceName().equals(name)).toList();
            for (int i = 0; i < own.size(); i++) {
                assertEquals(i, own.get(i).sequence(), name + " chunk " + i);
                assertEquals(i == own.size() - 1, own.get(i).last(), name + " chunk " + i + " LAST flag");
                assertTrue(own.get(i).lengthInBytes() <= MachineDevices.Settings.DEFAULT_CHUNK_BYTES);
            }
        }
        assertEquals(Set.copyOf(names), chunks.stream().map(DeviceChunk::deviceName).collect(Collectors.toSet()));
    }

    private static void assertMigratedDevicesKeepWorking(MachineDevices source, MachineDevices destination) {
        int sourceCompleted = source.block().snapshot() instanceof BlockDeviceSnapshot block
            ? block.completedCount() : -1;
        int migratedRxHead = destination.net().mmioRead(NetDevice.REG_RX_HEAD);
        destination.startDriver();
        await(() -> destination.driver().blockRequestsCompleted() >= 10 && destination.driver().framesReceived() >= 10,
            TIMEOUT_NS, "destination devices busy");
        destination.close();

        assertTrue(destination.driver().failure().isEmpty(), () -> "driver: " + destination.driver().failure());
        assertEquals(sourceCompleted + destination.driver().blockRequestsCompleted(),
            destination.block().mmioRead(BlockDevice.REG_COMPLETED), "the counter went on from the migrated value");
        assertTrue(destination.net().mmioRead(NetDevice.REG_RX_HEAD) - migratedRxHead >= 10,
            "frames landed in the migrated rx ring");
    }

    private static byte[] window(GuestMemory memory, MachineDevices.Settings settings) {
        return memory.segment().asSlice(settings.dmaWindowOffset(), settings.dmaWindowBytes())
            .toArray(ValueLayout.JAVA_BYTE);
    }
}
