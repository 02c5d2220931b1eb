package io.postcopy.engine.machine;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.MemoryGeometry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Chunks and settings refuse values the wire or the devices cannot carry. */
class DeviceChunkTest {
    @Test
    void shouldCopyDataWhenBuiltAndRead() {
        byte[] data = {1, 2, 3};
        DeviceChunk chunk = new DeviceChunk("blk0", 0, false, data);
        data[0] = 9;
        chunk.data()[1] = 9;

        assertEquals(new DeviceChunk("blk0", 0, false, new byte[] {1, 2, 3}), chunk);
    }

    @Test
    void shouldRefuseChunkWhenOutOfRange() {
        assertInvalid(() -> new DeviceChunk("", 0, true, new byte[1]));
        assertInvalid(() -> new DeviceChunk("x".repeat(256), 0, true, new byte[1]));
        assertInvalid(() -> new DeviceChunk("blk0", -1, true, new byte[1]));
        assertInvalid(() -> new DeviceChunk("blk0", 0, false, new byte[0]));
        assertInvalid(() -> new DeviceChunk("blk0", 0, true, new byte[DeviceChunk.MAX_DATA_BYTES + 1]));
        assertEquals(0, new DeviceChunk("blk0", 3, true, new byte[0]).lengthInBytes(), "an empty LAST is fine");
    }

    @Test
    void shouldRefuseSettingsWhenOutOfRange() {
        MachineDevices.Settings good = TestMachines.settings();

        assertInvalid(() -> good.withChunkBytes(DeviceChunk.MAX_DATA_BYTES + 1));
        assertInvalid(() -> good.withDriverIntervalNs(0));
        assertInvalid(() -> MachineDevices.Settings.defaults(new MemoryGeometry(64 * 1024, 4096)));
        assertInvalid(() -> MachineDevices.Settings.defaults(new MemoryGeometry(1 << 30, 4096))
            .checkFits(TestMachines.GEOMETRY));
    }

    private static void assertInvalid(Executable executable) {
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(PostcopyException.class, executable).code());
    }
}
