package io.postcopy.engine.machine;

import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.device.DeviceMigrationState;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static io.postcopy.engine.machine.TestMachines.GEOMETRY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The destination refuses device chunks that are corrupt, misnumbered or for no device, and says why. */
@Timeout(60)
class DeviceResumeTest {
    private static final int SMALL_CHUNK_BYTES = 4096;

    private final GuestMemory sourceMemory = GuestMemory.allocate(GEOMETRY);
    private final MachineDevices.Settings settings = TestMachines.settings().withChunkBytes(SMALL_CHUNK_BYTES);
    private final List<DeviceChunk> chunks = TestMachines.stoppedSourceChunks(sourceMemory, settings, 40);
    private final SoftwareBackend destinationMemory = TestMachines.copyOf(sourceMemory);
    private final MachineDevices destination = TestMachines.destination(destinationMemory, settings);

    @AfterEach
    void close() {
        destination.close();
        destinationMemory.close();
        sourceMemory.close();
    }

    @Test
    void shouldVerifyBothDevicesWhenStreamIsCutIntoSmallChunks() {
        assertTrue(of("blk0").size() > 30, "a 128 KiB disk in 4 KiB chunks: " + of("blk0").size());
        assertTrue(chunks.stream().allMatch(c -> c.lengthInBytes() <= SMALL_CHUNK_BYTES));

        destination.beginResume();
        chunks.forEach(destination::acceptChunk);

        assertEquals(List.of(new DeviceVerification("blk0", true), new DeviceVerification("net0", true)),
            destination.finishResume());
        assertEquals(DeviceMigrationState.RUNNING, destination.block().migration().state());
    }

    @Test
    void shouldNotVerifyDeviceWhenItsChunkIsCorrupted() {
        DeviceChunk last = of("blk0").getLast();
        byte[] corrupted = last.data();
        corrupted[corrupted.length - 1] ^= 0x01; // the last byte of the source's SHA-256 in the END record

        destination.beginResume();
        for (DeviceChunk chunk : chunks) {
            destination.acceptChunk(chunk == last ? new DeviceChunk("blk0", last.sequence(), true, corrupted) : chunk);
        }
        List<DeviceVerification> result = destination.finishResume();

        assertEquals(List.of(new DeviceVerification("blk0", false), new DeviceVerification("net0", true)), result);
        assertEquals(DeviceMigrationState.ERROR, destination.block().migration().state());
        assertEquals(DeviceMigrationState.STOP, destination.net().migration().state(), "no device runs alone");
        String why = destination.verificationFailures().get("blk0");
        assertTrue(why.contains("SHA-256"), why);
        assertEquals(List.of("blk0"), List.copyOf(destination.verificationFailures().keySet()));
    }

    @Test
    void shouldRefuseChunkWhenDeviceIsUnknown() {
        destination.beginResume();

        PostcopyException refused = assertThrows(PostcopyException.class,
            () -> destination.acceptChunk("gpu0", 0, true, new byte[16]));

        assertEquals(ErrorCode.DEVICE_STATE, refused.code());
        assertTrue(refused.getMessage().contains("unknown device 'gpu0'"), refused.getMessage());
    }

    @Test
    void shouldRefuseChunkAndFailDeviceWhenSequenceIsOutOfOrder() {
        List<DeviceChunk> block = of("blk0");
        destination.beginResume();
        destination.acceptChunk(block.get(0));

        PostcopyException gap = assertThrows(PostcopyException.class, () -> destination.acceptChunk(block.get(2)));
        PostcopyException later = assertThrows(PostcopyException.class, () -> destination.acceptChunk(block.get(1)));

        assertEquals(ErrorCode.DEVICE_STATE, gap.code());
        assertTrue(gap.getMessage().contains("sequence 2, expected 1"), gap.getMessage());
        assertTrue(later.getMessage().contains("failed earlier"), later.getMessage());
        of("net0").forEach(destination::acceptChunk);
        assertEquals(List.of(new DeviceVerification("blk0", false), new DeviceVerification("net0", true)),
            destination.finishResume());
    }

    @Test
    void shouldRefuseChunkWhenSequenceRepeats() {
        destination.beginResume();
        destination.acceptChunk(of("blk0").get(0));

        PostcopyException repeat = assertThrows(PostcopyException.class,
            () -> destination.acceptChunk(of("blk0").get(0)));

        assertEquals(ErrorCode.DEVICE_STATE, repeat.code());
        assertTrue(repeat.getMessage().contains("sequence 0, expected 1"), repeat.getMessage());
    }

    @Test
    void shouldRefuseChunkWhenItFollowsLastChunk() {
        List<DeviceChunk> net = of("net0");
        destination.beginResume();
        net.forEach(destination::acceptChunk);

        PostcopyException extra = assertThrows(PostcopyException.class,
            () -> destination.acceptChunk("net0", net.size(), true, new byte[0]));

        assertEquals(ErrorCode.DEVICE_STATE, extra.code());
        assertTrue(extra.getMessage().contains("after the LAST chunk"), extra.getMessage());
    }

    @Test
    void shouldRefuseChunkWhenDeviceIsNotResuming() {
        PostcopyException early = assertThrows(PostcopyException.class, () -> destination.acceptChunk(chunks.get(0)));

        assertEquals(ErrorCode.DEVICE_STATE, early.code());
        assertTrue(early.getMessage().contains("beginResume"), early.getMessage());
    }

    @Test
    void shouldNotVerifyDeviceWhenLastChunkNeverArrives() {
        List<DeviceChunk> net = of("net0");
        destination.beginResume();
        of("blk0").forEach(destination::acceptChunk);
        net.subList(0, net.size() - 1).forEach(destination::acceptChunk);

        assertEquals(List.of(new DeviceVerification("blk0", true), new DeviceVerification("net0", false)),
            destination.finishResume());
        assertTrue(destination.verificationFailures().get("net0").contains("LAST chunk never arrived"));
        assertEquals(DeviceMigrationState.RESUMING, destination.net().migration().state());
    }

    @Test
    void shouldNotVerifyDeviceWhenDestinationDiskHasAnotherSize() {
        MachineDevices.Settings other = new MachineDevices.Settings(settings.blockSectors() * 2, settings.mac(),
            settings.capabilities(), settings.dmaWindowOffset(), settings.dmaWindowBytes(),
            settings.driverIntervalNs(), settings.chunkBytes(), settings.seed());
        try (MachineDevices mismatched = TestMachines.destination(destinationMemory, other)) {
            mismatched.beginResume();
            chunks.forEach(mismatched::acceptChunk);

            assertEquals(new DeviceVerification("blk0", false), mismatched.finishResume().getFirst());
            assertTrue(mismatched.verificationFailures().get("blk0").contains("sectors"),
                mismatched.verificationFailures().toString());
        }
    }

    @Test
    void shouldRefuseDriverWhenDevicesAreResuming() {
        destination.beginResume();

        PostcopyException refused = assertThrows(PostcopyException.class, destination::startDriver);

        assertEquals(ErrorCode.DEVICE_STATE, refused.code());
    }

    private List<DeviceChunk> of(String deviceName) {
        return chunks.stream().filter(c -> c.deviceName().equals(deviceName)).toList();
    }
}
