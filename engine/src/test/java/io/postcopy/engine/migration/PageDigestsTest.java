package io.postcopy.engine.migration;

import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.port.PageOrigin;
import io.postcopy.engine.port.PageSink;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PageDigestsTest {
    @Test
    void shouldReportMismatchWhenOnePageDiffersOrIsMissing() {
        try (GuestMemory memory = GuestMemory.allocate(8 * 4096, 4096)) {
            memory.page(2).set(ValueLayout.JAVA_LONG, 0, 5L);
            PageDigests source = PageDigests.of(memory);
            PageDigests destination = PageDigests.of(memory);
            assertEquals(new PageDigests.IntegrityResult(8, 0, -1), destination.compareWith(source));

            memory.page(5).set(ValueLayout.JAVA_BYTE, 4095, (byte) 1);
            destination.record(5, memory.page(5));
            assertEquals(new PageDigests.IntegrityResult(7, 1, 5), destination.compareWith(source));

            PageDigests incomplete = new PageDigests(8);
            assertEquals(8, incomplete.compareWith(source).mismatches(), "unrecorded pages never verify");
        }
    }

    @Test
    void shouldSendEachPageOnceAndZeroPagesAsZeroEncoding() {
        try (GuestMemory memory = GuestMemory.allocate(8 * 4096, 4096)) {
            memory.page(1).set(ValueLayout.JAVA_LONG, 8, 1L);
            memory.page(6).set(ValueLayout.JAVA_LONG, 8, 1L);
            SourcePageServer server = new SourcePageServer(memory);
            List<String> sent = new ArrayList<>();
            PageSink sink = new PageSink() {
                @Override
                public void onPage(long pageIndex, MemorySegment content, PageOrigin origin) {
                    sent.add(origin + ":" + pageIndex);
                }

                @Override
                public void onZeroPage(long pageIndex, PageOrigin origin) {
                    sent.add("zero:" + pageIndex);
                }
            };
            assertTrue(server.serveDemand(6, sink));
            assertFalse(server.serveDemand(6, sink), "a page is never sent twice");
            assertEquals(3, server.pushBackground(sink, 3));
            assertEquals(List.of("DEMAND:6", "zero:7", "zero:0", "BACKGROUND:1"), sent,
                "the background stream continues right after the latest fault, wrapping around");
            while (server.pushBackground(sink, 100) > 0) {
                assertTrue(sent.size() <= 8);
            }
            assertTrue(server.isAllSent());
            assertEquals(8, sent.size());
            assertEquals(6, server.zeroPages());
            assertEquals(1, server.demandPages());
            assertEquals(1, server.backgroundPages());
            assertEquals(1, server.requestsForSentPages());
        }
    }
}
