package io.postcopy.engine.machine;

import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.device.DeviceMigrationState;
import io.postcopy.engine.device.SimulatedDevice;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static io.postcopy.engine.machine.TestMachines.GEOMETRY;
import static io.postcopy.engine.machine.TestMachines.TIMEOUT_NS;
import static io.postcopy.engine.machine.TestMachines.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A source whose migration failed before switchover walks its devices back to RUNNING and can migrate again. */
@Timeout(60)
class CancelledMigrationTest {
    @Test
    void shouldReturnDevicesToRunningAndMigrateAgainWhenPrecopyIsCancelled() {
        MachineDevices.Settings settings = TestMachines.settings();
        try (GuestMemory memory = GuestMemory.allocate(GEOMETRY);
             MachineDevices source = TestMachines.source(memory, settings)) {
            source.startDriver();
            source.startPrecopy();
            List<DeviceChunk> abandoned = new ArrayList<>();
            source.drainPrecopyChunks(abandoned::add);
            assertTrue(abandoned.size() >= 2, "precopy emitted state for both devices");

            source.cancelMigration("migration failed before switchover");

            for (SimulatedDevice device : List.<SimulatedDevice>of(source.block(), source.net())) {
                assertEquals(DeviceMigrationState.RUNNING, device.migration().state(), device.name());
                assertFalse(device.dirtyLog().isTracking(), device.name() + " stopped logging DMA");
                PostcopyException noSession = assertThrows(PostcopyException.class, device::stateReader);
                assertEquals(ErrorCode.DEVICE_STATE, noSession.code(), "the save session ended");
            }
            long cycles = source.driver().cycles();
            await(() -> source.driver().cycles() > cycles + 10, TIMEOUT_NS, "the driver keeps the devices busy");

            List<DeviceChunk> chunks = new ArrayList<>();
            source.startPrecopy();
            source.drainPrecopyChunks(chunks::add);
            source.stopAndCopy(chunks::add);
            assertEquals(0, chunks.getFirst().sequence(), "the second migration's stream starts at chunk 0");
            try (SoftwareBackend backend = TestMachines.copyOf(memory);
                 MachineDevices destination = TestMachines.destination(backend, settings)) {
                destination.beginResume();
                chunks.forEach(destination::acceptChunk);
                List<DeviceVerification> verified = destination.finishResume();

                assertEquals(List.of(new DeviceVerification("blk0", true), new DeviceVerification("net0", true)),
                    verified, () -> "failures: " + destination.verificationFailures());
                assertEquals(source.block().snapshot(), destination.block().snapshot());
                assertEquals(source.net().snapshot(), destination.net().snapshot());
            }
        }
    }

    @Test
    void shouldWalkStopCopyBackThroughStopWhenCancelledAfterStopAndCopy() {
        MachineDevices.Settings settings = TestMachines.settings();
        try (GuestMemory memory = GuestMemory.allocate(GEOMETRY);
             MachineDevices source = TestMachines.source(memory, settings)) {
            source.startPrecopy();
            source.stopAndCopy(chunk -> { });
            assertEquals(DeviceMigrationState.STOP_COPY, source.block().migration().state());

            source.cancelMigration("test");

            assertEquals(DeviceMigrationState.RUNNING, source.block().migration().state());
            assertEquals(DeviceMigrationState.RUNNING, source.net().migration().state());
            source.startDriver();
            await(() -> source.driver().framesReceived() > 3, TIMEOUT_NS, "the devices serve the guest again");
        }
    }
}
