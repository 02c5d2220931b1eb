package io.postcopy.engine.vmclock;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VmClockWriterTest {
    private final MemorySegment page = Arena.ofAuto().allocate(VmClockLayout.PAGE_BYTES, VmClockLayout.PAGE_BYTES);

    /** A generator that repeats a short cycle of values, zero included: reuse must be prevented by the writer. */
    private static RandomGenerator repeating(long... cycle) {
        return new RandomGenerator() {
            private int next;

            @Override
            public long nextLong() {
                return cycle[next++ % cycle.length];
            }
        };
    }

    @Test
    void shouldLayOutConstantFieldsLittleEndianWhenCreated() {
        VmClockWriter.create(page, VmClockLayout.COUNTER_X86_TSC, VmClockLayout.TIME_TAI);

        assertEquals('V', page.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals('C', page.get(ValueLayout.JAVA_BYTE, 1));
        assertEquals('L', page.get(ValueLayout.JAVA_BYTE, 2));
        assertEquals('K', page.get(ValueLayout.JAVA_BYTE, 3));
        assertEquals(4096, page.get(ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN), 4));
        assertEquals(1, page.get(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN), 8));
        VmClockSnapshot copy = new VmClockReader(page).read();
        assertEquals(VmClockLayout.COUNTER_X86_TSC, copy.counterId());
        assertEquals(VmClockLayout.TIME_TAI, copy.timeType());
        assertEquals(VmClockLayout.FLAG_VM_GEN_COUNTER_PRESENT, copy.flags());
        assertNotEquals(0, copy.disruptionMarker());
    }

    @Test
    void shouldWriteNewMarkerAndGenerationWhenMigrated() {
        VmClockWriter writer = VmClockWriter.create(page, VmClockLayout.COUNTER_INVALID, VmClockLayout.TIME_UTC);
        VmClockReader reader = new VmClockReader(writer.page());
        long before = reader.disruptionMarker();

        long marker = writer.markMigrated(42);

        VmClockSnapshot copy = reader.read();
        assertNotEquals(before, marker);
        assertEquals(marker, copy.disruptionMarker());
        assertEquals(42, copy.vmGenerationCounter());
        assertTrue((copy.flags() & VmClockLayout.FLAG_VM_GEN_COUNTER_PRESENT) != 0);
    }

    @Test
    void shouldNeverReuseMarkerWhenRandomSourceRepeats() {
        VmClockWriter writer = VmClockWriter.create(page, VmClockLayout.COUNTER_INVALID, VmClockLayout.TIME_UTC,
            repeating(0, 5, 5, 9, 5, 0, 9, 11, 12, 13, 14, 15, 16, 17));
        Set<Long> seen = new HashSet<>(Set.of(writer.disruptionMarker()));

        for (int i = 0; i < 7; i++) {
            long previous = writer.disruptionMarker();
            long marker = writer.markMigrated(i);
            assertNotEquals(previous, marker);
            assertNotEquals(0, marker);
            assertTrue(seen.add(marker), "marker " + marker + " reused");
        }
    }

    @Test
    void shouldChangeMarkerEveryTimeWhenMigratedManyTimes() {
        VmClockWriter writer = VmClockWriter.create(page, VmClockLayout.COUNTER_INVALID, VmClockLayout.TIME_UTC);
        Set<Long> seen = new HashSet<>(Set.of(writer.disruptionMarker()));

        for (int i = 0; i < 10_000; i++) {
            assertTrue(seen.add(writer.markMigrated(i)));
        }
    }

    @Test
    void shouldAvoidSourceMarkerWhenDestinationAttaches() {
        VmClockWriter source = VmClockWriter.create(page, VmClockLayout.COUNTER_INVALID, VmClockLayout.TIME_UTC,
            repeating(77));
        MemorySegment destinationPage = Arena.ofAuto().allocate(VmClockLayout.PAGE_BYTES, VmClockLayout.PAGE_BYTES);
        destinationPage.copyFrom(source.page());

        VmClockWriter destination = VmClockWriter.attach(destinationPage, repeating(77, 78));

        assertEquals(77, destination.disruptionMarker());
        assertEquals(78, destination.markMigrated(1));
    }

    @Test
    void shouldRejectPageWhenMagicIsWrong() {
        PostcopyException rejected = assertThrows(PostcopyException.class, () -> new VmClockReader(page));

        assertEquals(ErrorCode.INVALID_ARGUMENT, rejected.code());
        assertThrows(PostcopyException.class, () -> VmClockWriter.attach(page, repeating(1)));
    }

    @Test
    void shouldRefuseUpdateObjectWhenUsedOutsideUpdate() {
        VmClockWriter writer = VmClockWriter.create(page, VmClockLayout.COUNTER_INVALID, VmClockLayout.TIME_UTC);
        AtomicReference<VmClockUpdate> escaped = new AtomicReference<>();

        writer.update(fields -> escaped.set(fields.time(1, 2)));

        assertThrows(IllegalStateException.class, () -> escaped.get().time(3, 4));
        VmClockSnapshot copy = new VmClockReader(writer.page()).read();
        assertEquals(1, copy.timeSec());
        assertEquals(2, copy.timeFracSec());
    }
}
