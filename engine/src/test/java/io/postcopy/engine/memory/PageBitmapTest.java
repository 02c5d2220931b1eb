package io.postcopy.engine.memory;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PageBitmapTest {
    @Test
    void shouldSetClearAndFindBitsAcrossWords() {
        PageBitmap bitmap = new PageBitmap(200);
        assertTrue(bitmap.casSet(0));
        assertFalse(bitmap.casSet(0), "second set reports it was already set");
        assertTrue(bitmap.soSet(64));
        assertTrue(bitmap.casSet(199));
        assertTrue(bitmap.lvIsSet(64));
        assertFalse(bitmap.lvIsSet(63));
        assertEquals(1, bitmap.nextClear(0));
        assertEquals(64, bitmap.nextSet(1));
        assertEquals(199, bitmap.nextSet(65));
        assertEquals(-1, bitmap.nextSet(200));
        assertEquals(3, bitmap.cardinality());
        assertTrue(bitmap.casClear(64));
        assertFalse(bitmap.casClear(64));
        assertEquals(2, bitmap.cardinality());
    }

    @Test
    void shouldReportFullOnlyWhenEveryBitIsSetAndIgnoreBitsBeyondCount() {
        PageBitmap bitmap = new PageBitmap(70);
        for (long i = 0; i < 69; i++) {
            bitmap.casSet(i);
        }
        assertFalse(bitmap.isFull());
        assertEquals(69, bitmap.nextClear(0));
        bitmap.casSet(69);
        assertTrue(bitmap.isFull());
        assertEquals(-1, bitmap.nextClear(0), "bits 70..127 of the last word do not count");
    }

    @Test
    void shouldLetExactlyOneThreadWinEachBitWhenManyRace() throws Exception {
        int threads = 16;
        int bits = 4096;
        PageBitmap bitmap = new PageBitmap(bits);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> wins = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                wins.add(pool.submit(() -> {
                    int won = 0;
                    for (int i = 0; i < bits; i++) {
                        won += bitmap.casSet(i) ? 1 : 0;
                    }
                    return won;
                }));
            }
            int total = 0;
            for (Future<Integer> w : wins) {
                total += w.get(30, TimeUnit.SECONDS);
            }
            assertEquals(bits, total);
            assertTrue(bitmap.isFull());
        } finally {
            pool.shutdownNow();
        }
    }
}
