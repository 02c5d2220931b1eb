package io.postcopy.engine.machine;

import io.postcopy.engine.device.DeviceMigrationState;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

import static io.postcopy.engine.machine.TestMachines.GEOMETRY;
import static io.postcopy.engine.machine.TestMachines.TIMEOUT_NS;
import static io.postcopy.engine.machine.TestMachines.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The driver keeps the devices busy while they run, stops with them, and every page it changes is logged. */
@Timeout(60)
class DeviceDriverTest {
    private final GuestMemory memory = GuestMemory.allocate(GEOMETRY);
    private final MachineDevices.Settings settings = TestMachines.settings();
    private final MachineDevices source = TestMachines.source(memory, settings);

    @AfterEach
    void close() {
        source.close();
        memory.close();
    }

    @Test
    void shouldStopByItselfWhenDevicesLeaveRunning() {
        source.startDriver();
        await(() -> source.driver().cycles() >= 5, TIMEOUT_NS, "driver cycles");

        source.block().migration().requestState(DeviceMigrationState.STOP, "test: stop the block device");

        await(() -> !source.driver().isRunning(), TIMEOUT_NS, "the driver to end by itself");
        assertTrue(source.driver().failure().isEmpty(), () -> "failure: " + source.driver().failure());
    }

    @Test
    void shouldKeepDevicesBusyWhenRunning() {
        source.startDriver();

        await(() -> source.driver().framesReceived() >= 20 && source.driver().blockRequestsCompleted() >= 20,
            TIMEOUT_NS, "frames and block requests");
        source.driver().stop(TIMEOUT_NS);

        assertFalse(source.driver().isRunning());
    }

    @Test
    void shouldLogEveryPageDevicesChangeWhenPrecopyRuns() {
        source.startPrecopy();
        byte[] before = window();

        BitSet dirty = new BitSet();
        for (int i = 0; i < 200; i++) {
            source.driver().doWork();
        }
        long reports = source.dirtyPages(page -> dirty.set(Math.toIntExact(page)));
        byte[] after = window();

        int firstPage = (int) (settings.dmaWindowOffset() / GEOMETRY.pageSize());
        List<Integer> changed = new ArrayList<>();
        for (int page = 0; page < before.length / GEOMETRY.pageSize(); page++) {
            int from = page * GEOMETRY.pageSize();
            if (!Arrays.equals(before, from, from + GEOMETRY.pageSize(), after, from, from + GEOMETRY.pageSize())) {
                changed.add(firstPage + page);
            }
        }
        assertTrue(changed.size() > 8, "the rx ring and block reads changed pages: " + changed);
        changed.forEach(page -> assertTrue(dirty.get(page), "page " + page + " changed but not logged"));
        assertTrue(reports >= dirty.cardinality());
        assertEquals(0, source.dirtyPages(page -> { }), "the log was cleared by the read");
    }

    @Test
    void shouldRefuseSecondPrecopyWhenAlreadyStarted() {
        source.startPrecopy();

        PostcopyException again = assertThrows(PostcopyException.class, source::startPrecopy);

        assertEquals(ErrorCode.DEVICE_STATE, again.code());
    }

    private byte[] window() {
        return memory.segment().asSlice(settings.dmaWindowOffset(), settings.dmaWindowBytes())
            .toArray(ValueLayout.JAVA_BYTE);
    }
}
