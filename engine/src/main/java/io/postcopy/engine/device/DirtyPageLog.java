package io.postcopy.engine.device;

import io.postcopy.engine.memory.MemoryGeometry;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * The DMA log of a device: one bit per guest page that the device wrote while tracking was on (only DMA writes
 * are logged, as in VFIO's DMA logging).
 *
 * <p>The log is readable with an atomic test-and-clear, so a migration thread can sample it continuously while
 * the device keeps writing: every bit is cleared by the same atomic operation that reads it, so a page marked
 * concurrently with a read is reported either by that read or by the next one, never lost and never reported
 * twice for one marking.
 *
 * <p>Thread-safe: any thread may mark (the device's DMA) and read (the migration thread) concurrently.
 * {@link #startTracking()} clears the log and starts logging; {@link #stopTracking()} freezes it so that it can be
 * read completely; the caller quiesces the device (STOP) before relying on a frozen log being complete.
 */
public final class DirtyPageLog {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final MemoryGeometry geometry;
    private final long[] words;
    private volatile boolean tracking;

    /** @param geometry the guest memory whose pages are logged */
    public DirtyPageLog(MemoryGeometry geometry) {
        this.geometry = Objects.requireNonNull(geometry, "geometry");
        this.words = new long[Math.toIntExact((geometry.pageCount() + 63) >>> 6)];
    }

    /** The shape of the logged memory. */
    public MemoryGeometry geometry() {
        return geometry;
    }

    /** Clears the log and starts logging DMA writes. */
    public void startTracking() {
        for (int w = 0; w < words.length; w++) {
            WORDS.setVolatile(words, w, 0L);
        }
        tracking = true;
    }

    /** Stops logging; what has been logged stays readable. */
    public void stopTracking() {
        tracking = false;
    }

    /** True while DMA writes are logged. */
    public boolean isTracking() {
        return tracking;
    }

    /**
     * Logs a DMA write of {@code lengthInBytes} bytes at guest offset {@code offset}: marks every page it
     * touches. Does nothing while tracking is off or for an empty range.
     *
     * @throws IndexOutOfBoundsException if the range leaves guest memory
     */
    public void markWritten(long offset, long lengthInBytes) {
        Objects.checkFromIndexSize(offset, lengthInBytes, geometry.lengthInBytes());
        if (!tracking || lengthInBytes == 0) {
            return;
        }
        long first = geometry.pageIndexOf(offset);
        long last = geometry.pageIndexOf(offset + lengthInBytes - 1);
        for (long page = first; page <= last; page++) {
            WORDS.getAndBitwiseOrRelease(words, (int) (page >>> 6), 1L << page);
        }
    }

    /**
     * Atomically reads and clears the bit of one page.
     *
     * @return true if the page was written since it was last cleared
     */
    public boolean testAndClear(long pageIndex) {
        geometry.checkPageIndex(pageIndex);
        long mask = 1L << pageIndex;
        long previous = (long) WORDS.getAndBitwiseAnd(words, (int) (pageIndex >>> 6), ~mask);
        return (previous & mask) != 0;
    }

    /**
     * Atomically takes every dirty bit, word by word, and reports each dirty page in ascending order.
     *
     * @param pageIndexConsumer called once per dirty page, on the calling thread
     * @return the number of dirty pages reported
     */
    public long readAndClear(LongConsumer pageIndexConsumer) {
        long count = 0;
        for (int w = 0; w < words.length; w++) {
            if ((long) WORDS.getOpaque(words, w) == 0) {
                continue;
            }
            long word = (long) WORDS.getAndSet(words, w, 0L);
            while (word != 0) {
                int bit = Long.numberOfTrailingZeros(word);
                word &= word - 1;
                pageIndexConsumer.accept(((long) w << 6) + bit);
                count++;
            }
        }
        return count;
    }

    /** Number of dirty pages now (a racy count while the device writes). */
    public long dirtyPageCount() {
        long count = 0;
        for (int w = 0; w < words.length; w++) {
            count += Long.bitCount((long) WORDS.getAcquire(words, w));
        }
        return count;
    }
}
