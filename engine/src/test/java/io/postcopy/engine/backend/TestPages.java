package io.postcopy.engine.backend;

import io.postcopy.engine.memory.MemoryGeometry;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Deterministic page contents for tests: every long of page p holds a value derived from (p, word index). */
public final class TestPages {
    private TestPages() {
    }

    /** The long stored at word {@code wordIndex} of page {@code pageIndex}; never zero. */
    public static long expectedWord(long pageIndex, long wordIndex) {
        return (pageIndex + 1) * 0x9E3779B97F4A7C15L ^ (wordIndex * 0xC2B2AE3D27D4EB4FL) | 1L;
    }

    /** A fresh page of content for {@code pageIndex}, allocated in {@code arena}. */
    public static MemorySegment page(Arena arena, MemoryGeometry geometry, long pageIndex) {
        MemorySegment page = arena.allocate(geometry.pageSize(), 8);
        fill(page, pageIndex);
        return page;
    }

    /** Fills {@code page} with the content of {@code pageIndex}. */
    public static void fill(MemorySegment page, long pageIndex) {
        for (long w = 0; w < page.byteSize() / 8; w++) {
            page.setAtIndex(ValueLayout.JAVA_LONG, w, expectedWord(pageIndex, w));
        }
    }
}
