package io.postcopy.engine.device;

import io.postcopy.engine.memory.MemoryGeometry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirtyPageLogTest {
    private static final MemoryGeometry GEOMETRY = new MemoryGeometry(256L * 4096, 4096);

    @Test
    void shouldReportPageOnceWhenTestedAndCleared() {
        DirtyPageLog log = new DirtyPageLog(GEOMETRY);
        log.startTracking();

        log.markWritten(5 * 4096 + 100, 8);

        assertTrue(log.testAndClear(5));
        assertFalse(log.testAndClear(5), "a test-and-clear must clear");
        assertFalse(log.testAndClear(4));
    }

    @Test
    void shouldMarkEveryTouchedPageWhenWriteSpansPages() {
        DirtyPageLog log = new DirtyPageLog(GEOMETRY);
        log.startTracking();

        log.markWritten(63 * 4096 + 4000, 2 * 4096);

        List<Long> pages = new ArrayList<>();
        assertEquals(3, log.readAndClear(pages::add));
        assertEquals(List.of(63L, 64L, 65L), pages);
        assertEquals(0, log.dirtyPageCount());
    }

    @Test
    void shouldIgnoreWritesWhenNotTracking() {
        DirtyPageLog log = new DirtyPageLog(GEOMETRY);

        log.markWritten(0, 4096);

        assertEquals(0, log.dirtyPageCount());
    }

    @Test
    void shouldClearOldBitsWhenTrackingStartsAgain() {
        DirtyPageLog log = new DirtyPageLog(GEOMETRY);
        log.startTracking();
        log.markWritten(0, 1);
        log.stopTracking();
        assertEquals(1, log.dirtyPageCount(), "a stopped log stays readable");

        log.startTracking();

        assertEquals(0, log.dirtyPageCount());
    }

    @Test
    void shouldRejectRangeWhenOutsideMemory() {
        DirtyPageLog log = new DirtyPageLog(GEOMETRY);
        log.startTracking();

        assertThrows(IndexOutOfBoundsException.class, () -> log.markWritten(GEOMETRY.lengthInBytes() - 1, 2));
    }

    @Test
    void shouldReportEveryMarkExactlyOnceWhenReaderClearsConcurrently() throws InterruptedException {
        int pageCount = 1 << 16;
        DirtyPageLog log = new DirtyPageLog(new MemoryGeometry((long) pageCount * 4096, 4096));
        log.startTracking();
        AtomicBoolean writerDone = new AtomicBoolean();
        BitSet reported = new BitSet(pageCount);
        AtomicLong duplicates = new AtomicLong();
        CountDownLatch readerFinished = new CountDownLatch(1);
        // Each page is marked exactly once, in an order that interleaves words, while the reader drains: a lost
        // bit shows as a missing page, a non-atomic clear as a page reported twice.
        Thread writer = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < pageCount; i++) {
                long page = (i * 40_503L) % pageCount;
                log.markWritten(page * 4096, 1);
            }
            writerDone.set(true);
        });
        Thread reader = Thread.ofPlatform().start(() -> {
            long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean lastPass = false;
            while (!lastPass && System.nanoTime() < deadlineNs) {
                lastPass = writerDone.get();
                log.readAndClear(page -> {
                    if (reported.get((int) page)) {
                        duplicates.incrementAndGet();
                    }
                    reported.set((int) page);
                });
            }
            readerFinished.countDown();
        });

        assertTrue(readerFinished.await(90, TimeUnit.SECONDS), "reader did not finish");
        writer.join();
        reader.join();
        assertEquals(0, duplicates.get());
        assertEquals(pageCount, reported.cardinality());
        assertEquals(0, log.dirtyPageCount());
    }
}
