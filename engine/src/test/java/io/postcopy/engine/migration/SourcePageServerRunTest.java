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

/** The source's runs: claiming contiguous unsent pages, and sending them as zero and non-zero stretches. */
class SourcePageServerRunTest {
    private static final int PAGE = 4096;

    /** Records each sink call as "run first+count" / "zeros first+count" / "page p" / "zero p", with content. */
    private static final class RecordingSink implements PageSink {
        final List<String> calls = new ArrayList<>();
        final List<Long> firstWords = new ArrayList<>();

        @Override
        public void onPage(long pageIndex, MemorySegment content, PageOrigin origin) {
            calls.add(origin + " page " + pageIndex);
            firstWords.add(content.get(ValueLayout.JAVA_LONG, 0));
        }

        @Override
        public void onZeroPage(long pageIndex, PageOrigin origin) {
            calls.add(origin + " zero " + pageIndex);
        }

        @Override
        public void onPageRun(long firstPageIndex, MemorySegment contiguous, int pageCount, PageOrigin origin) {
            calls.add(origin + " run " + firstPageIndex + "+" + pageCount);
            assertEquals((long) pageCount * PAGE, contiguous.byteSize(), "a run's content is exactly its pages");
            for (int i = 0; i < pageCount; i++) {
                firstWords.add(contiguous.get(ValueLayout.JAVA_LONG, (long) i * PAGE));
            }
        }

        @Override
        public void onZeroPageRun(long firstPageIndex, int pageCount, PageOrigin origin) {
            calls.add(origin + " zeros " + firstPageIndex + "+" + pageCount);
        }
    }

    @Test
    void shouldClaimFollowingUnsentPagesUpToLimitAndStopAtSentPageOrEnd() {
        try (GuestMemory memory = GuestMemory.allocate(16L * PAGE, PAGE)) {
            SourcePageServer server = new SourcePageServer(memory, false);
            RecordingSink sink = new RecordingSink();
            assertTrue(server.serveDemand(5, sink), "page 5 goes out on demand first");
            assertEquals(6, server.claimNextUnsent(), "the stream continues after the fault");
            assertEquals(4, server.claimFollowing(6, 4), "6..9: limited to 4 pages");
            assertEquals(10, server.claimNextUnsent(), "the cursor moved past the run");
            assertEquals(6, server.claimFollowing(10, 100), "10..15: stops at the end of memory");
            assertEquals(0, server.claimNextUnsent(), "then wraps around");
            assertEquals(5, server.claimFollowing(0, 100), "0..4: stops before page 5, sent on demand");
            assertEquals(-1, server.claimNextUnsent());
            assertTrue(server.isAllSent());
            assertFalse(server.serveDemand(7, sink), "a page of a claimed run is never sent again on demand");
        }
    }

    @Test
    void shouldSendRunAsZeroAndNonZeroStretchesWithPageByPageCountsAndDigests() {
        try (GuestMemory memory = GuestMemory.allocate(12L * PAGE, PAGE)) {
            memory.page(2).set(ValueLayout.JAVA_LONG, 0, 102L);
            memory.page(3).set(ValueLayout.JAVA_LONG, 0, 103L);
            memory.page(5).set(ValueLayout.JAVA_BYTE, PAGE - 1, (byte) 1); // non-zero in its very last byte only
            SourcePageServer server = new SourcePageServer(memory);
            RecordingSink sink = new RecordingSink();
            assertEquals(0, server.claimNextUnsent());
            assertEquals(8, server.claimFollowing(0, 8));
            server.deliverRun(0, 8, sink, PageOrigin.BACKGROUND);

            assertEquals(List.of("BACKGROUND zeros 0+2", "BACKGROUND run 2+2", "BACKGROUND zeros 4+1",
                "BACKGROUND run 5+1", "BACKGROUND zeros 6+2"), sink.calls);
            assertEquals(List.of(102L, 103L, 0L), sink.firstWords, "each stretch is the memory's own bytes");
            assertEquals(3, server.backgroundPages());
            assertEquals(5, server.zeroPages());
            assertFalse(server.isAllDelivered(), "pages 8..11 are not delivered yet");
            for (long p = 0; p < 8; p++) {
                assertEquals(PageDigests.digest(memory.page(p)), server.digests().get(p), "digest of page " + p);
            }
            assertEquals(0, server.digests().get(8));

            assertEquals(8, server.claimNextUnsent());
            server.deliverRun(8, server.claimFollowing(8, 100), sink, PageOrigin.BACKGROUND);
            assertTrue(server.isAllDelivered());
            assertEquals("BACKGROUND zeros 8+4", sink.calls.getLast());
        }
    }

    @Test
    void shouldResendPrecopyRunAndCountEachPageAsPrecopy() {
        try (GuestMemory memory = GuestMemory.allocate(4L * PAGE, PAGE)) {
            memory.page(1).set(ValueLayout.JAVA_LONG, 8, 1L);
            memory.page(2).set(ValueLayout.JAVA_LONG, 8, 1L);
            SourcePageServer server = new SourcePageServer(memory, false);
            RecordingSink sink = new RecordingSink();
            server.sendPrecopyRun(0, 4, sink);
            server.sendPrecopyRun(1, 2, sink);
            assertEquals(List.of("PRECOPY zeros 0+1", "PRECOPY run 1+2", "PRECOPY zeros 3+1", "PRECOPY run 1+2"),
                sink.calls, "a later round re-sends what was dirtied");
            assertEquals(4, server.precopyPages());
            assertTrue(server.isAllSent());
            assertTrue(server.isAllDelivered());
        }
    }

    @Test
    void shouldSeeNonZeroByteAnywhereInPageWhenCheckingForZeros() {
        try (GuestMemory memory = GuestMemory.allocate(2L * 2 * 1024 * 1024, 2 * 1024 * 1024)) {
            assertTrue(SourcePageServer.isZero(memory.page(0)));
            for (long offset : new long[] {0, 4095, 4096, 1_000_001, 2 * 1024 * 1024 - 1}) {
                memory.page(1).set(ValueLayout.JAVA_BYTE, offset, (byte) 0x80);
                assertFalse(SourcePageServer.isZero(memory.page(1)), "a byte at offset " + offset);
                memory.page(1).set(ValueLayout.JAVA_BYTE, offset, (byte) 0);
                assertTrue(SourcePageServer.isZero(memory.page(1)));
            }
        }
    }

    @Test
    void shouldSendPageByPageThroughDefaultsWhenSinkTakesNoRuns() {
        try (GuestMemory memory = GuestMemory.allocate(4L * PAGE, PAGE)) {
            memory.page(1).set(ValueLayout.JAVA_LONG, 0, 11L);
            memory.page(2).set(ValueLayout.JAVA_LONG, 0, 12L);
            SourcePageServer server = new SourcePageServer(memory, false);
            List<String> calls = new ArrayList<>();
            List<Long> words = new ArrayList<>();
            PageSink pageByPage = new PageSink() {
                @Override
                public void onPage(long pageIndex, MemorySegment content, PageOrigin origin) {
                    calls.add("page " + pageIndex);
                    words.add(content.get(ValueLayout.JAVA_LONG, 0));
                    assertEquals(PAGE, content.byteSize());
                }

                @Override
                public void onZeroPage(long pageIndex, PageOrigin origin) {
                    calls.add("zero " + pageIndex);
                }
            };
            server.deliverRun(0, 4, pageByPage, PageOrigin.BACKGROUND);
            assertEquals(List.of("zero 0", "page 1", "page 2", "zero 3"), calls);
            assertEquals(List.of(11L, 12L), words);
        }
    }
}
