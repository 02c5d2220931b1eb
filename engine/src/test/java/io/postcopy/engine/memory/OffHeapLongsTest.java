package io.postcopy.engine.memory;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OffHeapLongsTest {
    @Test
    void shouldReadZeroEverywhereBeforeAnyWrite() {
        OffHeapLongs table = new OffHeapLongs(1L << 20);
        assertEquals(1L << 20, table.length());
        assertEquals(0, table.getAcquire(0));
        assertEquals(0, table.getVolatile((1L << 20) - 1));
    }

    @Test
    void shouldKeepEachSlotApartWhenWrittenAtomically() {
        OffHeapLongs table = new OffHeapLongs(3);
        table.setRelease(1, 42);
        assertEquals(0, table.getAcquire(0));
        assertEquals(42, table.getAcquire(1));
        assertEquals(0, table.getAcquire(2));
        assertFalse(table.compareAndSet(1, 0, 7), "slot 1 holds 42");
        assertTrue(table.compareAndSet(1, 42, 7));
        assertEquals(7, table.getAndSet(1, -1));
        assertEquals(-1, table.getVolatile(1));
    }

    /**
     * A per-page table of a 4 GiB guest on the heap is an 8 MiB humongous array whose allocation can start a G1 pause
     * right before a switchover; off the heap it costs the Java heap next to nothing.
     */
    @Test
    void shouldTakeAlmostNothingFromJavaHeapWhenTableIsLarge() {
        com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported()
            && threads.isThreadAllocatedMemoryEnabled(), "this JVM does not count allocated bytes per thread");
        new OffHeapLongs(1).setRelease(0, 1); // links the native calls first: that allocates, once per JVM
        long before = threads.getCurrentThreadAllocatedBytes();
        OffHeapLongs table = new OffHeapLongs(1L << 20);
        table.setRelease((1L << 20) - 1, 1);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 256 * 1024, allocated + " heap bytes for a table of 8 MiB");
    }

    @Test
    void shouldRejectIndexOutsideTable() {
        OffHeapLongs table = new OffHeapLongs(5);
        assertThrows(IndexOutOfBoundsException.class, () -> table.getAcquire(5));
        assertThrows(IndexOutOfBoundsException.class, () -> table.setRelease(-1, 1));
    }

    @Test
    void shouldCountEveryIncrementWhenTwoThreadsRace() throws Exception {
        OffHeapLongs table = new OffHeapLongs(1);
        Runnable add = () -> {
            for (int i = 0; i < 100_000; i++) {
                long seen;
                do {
                    seen = table.getVolatile(0);
                } while (!table.compareAndSet(0, seen, seen + 1));
            }
        };
        CompletableFuture<Void> other = CompletableFuture.runAsync(add);
        add.run();
        other.get(30, TimeUnit.SECONDS);
        assertEquals(200_000, table.getVolatile(0));
    }
}
