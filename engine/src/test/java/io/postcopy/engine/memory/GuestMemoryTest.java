package io.postcopy.engine.memory;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PageOutOfRangeException;
import io.postcopy.engine.error.PostcopyException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestMemoryTest {
    @Test
    void shouldRejectPageSizeThatIsNeitherFourKibNorTwoMib() {
        PostcopyException e = assertThrows(PostcopyException.class, () -> GuestMemory.allocate(1 << 20, 3000));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("pageSize=3000 (expected: 4096 or 2097152)"), e.getMessage());
        assertThrows(PostcopyException.class, () -> GuestMemory.allocate(1 << 20, 8192));
    }

    @Test
    void shouldRejectZeroOrNegativeSize() {
        assertEquals(ErrorCode.INVALID_ARGUMENT,
            assertThrows(PostcopyException.class, () -> GuestMemory.allocate(0, 4096)).code());
        assertThrows(PostcopyException.class, () -> GuestMemory.allocate(-4096, 4096));
    }

    @Test
    void shouldRejectSizeThatIsNotAMultipleOfPageSize() {
        PostcopyException e = assertThrows(PostcopyException.class, () -> GuestMemory.allocate(4096 * 3 + 1, 4096));
        assertTrue(e.getMessage().contains("multiple of pageSize"), e.getMessage());
        assertThrows(PostcopyException.class, () -> GuestMemory.allocate(3L << 20, MemoryGeometry.HUGE_PAGE_SIZE));
    }

    @Test
    void shouldFailSecondCloseClearly() {
        GuestMemory memory = GuestMemory.allocate(1 << 20, 4096);
        memory.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, memory::close);
        assertTrue(e.getMessage().contains("already closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> memory.segment().get(ValueLayout.JAVA_LONG, 0));
    }

    @Test
    void shouldHandOutPageSlicesAndRejectOutOfRangeIndexes() {
        try (GuestMemory memory = GuestMemory.allocate(16 * 4096, 4096)) {
            MemorySegment page = memory.page(3);
            assertEquals(4096, page.byteSize());
            page.set(ValueLayout.JAVA_LONG, 0, 77L);
            assertEquals(77L, memory.segment().get(ValueLayout.JAVA_LONG, 3 * 4096));
            assertThrows(PageOutOfRangeException.class, () -> memory.page(16));
            assertThrows(PageOutOfRangeException.class, () -> memory.page(-1));
        }
    }

    @Test
    void shouldAllocateSixteenGibibytesWithoutTouchingThem() {
        try (GuestMemory memory = GuestMemory.allocate(16L << 30, MemoryGeometry.HUGE_PAGE_SIZE)) {
            assertEquals(8192, memory.pageCount());
            assertEquals(0, memory.segment().address() % MemoryGeometry.HUGE_PAGE_SIZE, "aligned to its page size");
            MemorySegment last = memory.page(memory.pageCount() - 1);
            last.set(ValueLayout.JAVA_LONG, last.byteSize() - 8, -1L);
            assertEquals(-1L, last.get(ValueLayout.JAVA_LONG, last.byteSize() - 8));
            assertEquals(0L, memory.page(4096).get(ValueLayout.JAVA_LONG, 0), "fresh memory reads as zero");
        }
    }

    @Test
    void shouldParseSizesWithBinaryUnits() {
        assertEquals(1L << 30, MemoryGeometry.parseSize("1g"));
        assertEquals(256L << 20, MemoryGeometry.parseSize("256M"));
        assertEquals(4096, MemoryGeometry.parseSize("4k"));
        assertEquals(2L << 20, MemoryGeometry.parseSize("2MiB"));
        assertEquals(12345, MemoryGeometry.parseSize("12345"));
        assertThrows(PostcopyException.class, () -> MemoryGeometry.parseSize("lots"));
        assertThrows(PostcopyException.class, () -> MemoryGeometry.parseSize("-1g"));
        assertThrows(PostcopyException.class, () -> MemoryGeometry.parseSize("99999999999t"));
    }
}
