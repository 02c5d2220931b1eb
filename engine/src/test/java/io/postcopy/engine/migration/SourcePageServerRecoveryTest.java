package io.postcopy.engine.migration;

import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.port.PageOrigin;
import io.postcopy.engine.port.PageSink;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SourcePageServerRecoveryTest {
    private static final class RecordingSink implements PageSink {
        final List<Long> pages = new ArrayList<>();

        @Override
        public void onPage(long pageIndex, MemorySegment content, PageOrigin origin) {
            pages.add(pageIndex);
        }

        @Override
        public void onZeroPage(long pageIndex, PageOrigin origin) {
            pages.add(pageIndex);
        }
    }

    @Test
    void shouldSendAgainExactlyThePagesTheBitmapSaysAreMissingWhenAdoptingReceivedBitmap() {
        try (GuestMemory memory = GuestMemory.allocate(new MemoryGeometry(200 * 4096, 4096))) {
            SourcePageServer server = new SourcePageServer(memory, false);
            RecordingSink first = new RecordingSink();
            server.pushBackground(first, 150);
            assertEquals(150, first.pages.size());
            // The destination holds pages 0..63 and 128..191 (the rest was lost in flight or never sent).
            long[] words = {-1L, 0L, -1L, 0L};
            assertEquals(150 - 64 - 22, server.adoptReceived(0, words), "sent but not held: sent again");
            assertFalse(server.isAllDelivered());
            assertFalse(server.serveDemand(3, new RecordingSink()), "a held page is not sent again");

            RecordingSink second = new RecordingSink();
            assertTrue(server.serveDemand(70, second));
            server.pushBackground(second, 1_000);
            assertEquals(200 - 128, second.pages.size(), "each missing page once: 64..127 and 192..199");
            assertTrue(second.pages.containsAll(List.of(64L, 127L, 192L, 199L)));
            assertFalse(second.pages.contains(128L));
            assertTrue(server.isAllDelivered());
        }
    }
}
