package io.postcopy.engine.device;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.error.PostcopyException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.postcopy.engine.device.DeviceMigrationState.ERROR;
import static io.postcopy.engine.device.DeviceMigrationState.RESUMING;
import static io.postcopy.engine.device.DeviceMigrationState.STOP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Guest MMIO is served in RUNNING and PRE_COPY only; elsewhere writes vanish and reads are all ones. */
class DeviceMmioGateTest {
    private final SoftwareBackend backend = TestGuests.presentMemory(16);
    private final BlockDevice block = new BlockDevice("blk0", 64, MigrationCapabilities.ALL, backend.hostAccessor(),
        new SimpleMeterRegistry());
    private final NetDevice net = new NetDevice("net0", 0x0200_0000_0001L, MigrationCapabilities.ALL,
        backend.hostAccessor(), new SimpleMeterRegistry());

    @AfterEach
    void closeBackend() {
        backend.close();
    }

    private void enter(SimulatedDevice device, DeviceMigrationState state) {
        if (state == ERROR) {
            device.migration().requestState(RESUMING, "test");
            assertThrows(PostcopyException.class, () -> device.migration().requestState(STOP, "empty stream"));
        } else {
            device.migration().requestState(state, "test");
        }
        assertEquals(state, device.migration().state());
    }

    @ParameterizedTest
    @EnumSource(value = DeviceMigrationState.class, names = {"RUNNING", "PRE_COPY"})
    void shouldServeMmioWhenRunning(DeviceMigrationState state) {
        enter(block, state);

        block.mmioWrite(BlockDevice.REG_REQ_SECTOR, 42);

        assertEquals(BlockDevice.MAGIC, block.mmioRead(BlockDevice.REG_MAGIC));
        assertEquals(42, block.mmioRead(BlockDevice.REG_REQ_SECTOR));
    }

    @ParameterizedTest
    @EnumSource(value = DeviceMigrationState.class, names = {"RUNNING", "PRE_COPY"}, mode = EnumSource.Mode.EXCLUDE)
    void shouldDiscardWritesAndReadAllOnesWhenNotRunning(DeviceMigrationState state) {
        block.mmioWrite(BlockDevice.REG_REQ_SECTOR, 7);
        enter(block, state);
        DeviceSnapshot before = block.snapshot();

        block.mmioWrite(BlockDevice.REG_REQ_SECTOR, 42);
        block.mmioWrite(BlockDevice.REG_DOORBELL, 1);

        assertEquals(SimulatedDevice.ALL_ONES, block.mmioRead(BlockDevice.REG_MAGIC));
        assertEquals(SimulatedDevice.ALL_ONES, block.mmioRead(BlockDevice.REG_REQ_SECTOR));
        assertEquals(before, block.snapshot());
    }

    @ParameterizedTest
    @EnumSource(value = DeviceMigrationState.class, names = {"STOP", "STOP_COPY", "RESUMING", "ERROR"})
    void shouldNeitherDmaNorChangeStateWhenStopped(DeviceMigrationState state) {
        net.mmioWrite(NetDevice.REG_RX_RING_LO, 4096);
        net.mmioWrite(NetDevice.REG_RX_RING_SIZE, 4);
        net.mmioWrite(NetDevice.REG_RX_TAIL, 4);
        net.dirtyLog().startTracking();
        enter(net, state);
        DeviceSnapshot before = net.snapshot();

        assertFalse(net.receiveFrame(new byte[] {1, 2, 3}));

        assertEquals(before, net.snapshot());
        assertEquals(0, net.dirtyLog().dirtyPageCount());
        assertEquals(0, backend.hostAccessor().getInt(4096), "no DMA into the ring");
    }
}
