package io.postcopy.bench.harness;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.memory.MemoryGeometry;
import org.HdrHistogram.Histogram;

import java.lang.foreign.MemorySegment;

/**
 * A vCPU accessor that makes the guest touch pages at a controlled rate: each access to a page other than the one
 * touched last waits for its slot on a fixed schedule ({@code intervalNs} apart), so a vCPU costs almost no CPU
 * (on 2 cores a spinning vCPU would distort every figure). A touch that finds its page missing is a fault; its
 * latency, from the start of the access to its end, goes into an HdrHistogram corrected for coordinated omission
 * with the schedule's interval ({@link Histogram#recordValueWithExpectedInterval}), and into an uncorrected one.
 *
 * <p>Used by one vCPU thread only; read the figures after that thread ended.
 */
final class PacedAccessor implements GuestAccessor {
    private final GuestAccessor delegate;
    private final FaultEngine engine;
    private final int pageShift;
    private final long intervalNs;
    private final Histogram correctedNs = new Histogram(3);
    private final Histogram uncorrectedNs = new Histogram(3);
    private final long[] touched;
    private long lastPage = -1;
    private long nextTouchNs;
    private long touches;
    private long distinctPages;

    PacedAccessor(GuestAccessor delegate, FaultEngine engine, long intervalNs) {
        this.delegate = delegate;
        this.engine = engine;
        this.pageShift = engine.geometry().pageShift();
        this.intervalNs = intervalNs;
        this.touched = new long[(int) ((engine.geometry().pageCount() + 63) >>> 6)];
    }

    /** Fault latencies, corrected for coordinated omission. */
    Histogram correctedNs() {
        return correctedNs;
    }

    /** Fault latencies as measured. */
    Histogram uncorrectedNs() {
        return uncorrectedNs;
    }

    /** Paced touches (accesses to a page other than the last one). */
    long touches() {
        return touches;
    }

    /** Set bit per page this vCPU touched. */
    long[] touchedPages() {
        return touched;
    }

    /** Distinct pages this vCPU touched. */
    long distinctPages() {
        return distinctPages;
    }

    /**
     * Waits for the slot of a touch of {@code page}, marks it touched, and returns the start time of the access if
     * the page is missing (a fault), or -1 if it is present.
     */
    private long touch(long page) {
        // No catch-up burst after a long fault: the correction accounts for the touches it held back.
        nextTouchNs = Pacing.awaitSlot(nextTouchNs, intervalNs);
        long now = System.nanoTime();
        touches++;
        lastPage = page;
        int word = (int) (page >>> 6);
        long bit = 1L << page;
        if ((touched[word] & bit) == 0) {
            touched[word] |= bit;
            distinctPages++;
        }
        return engine.isCached(page) ? -1 : now;
    }

    private void recordFault(long startNs) {
        long latencyNs = Math.max(0, System.nanoTime() - startNs);
        correctedNs.recordValueWithExpectedInterval(latencyNs, intervalNs);
        uncorrectedNs.recordValue(latencyNs);
    }

    @Override
    public MemoryGeometry geometry() {
        return delegate.geometry();
    }

    @Override
    public long getLong(long offset) {
        long page = offset >>> pageShift;
        if (page == lastPage) {
            return delegate.getLong(offset);
        }
        long start = touch(page);
        long value = delegate.getLong(offset);
        if (start >= 0) {
            recordFault(start);
        }
        return value;
    }

    @Override
    public void putLong(long offset, long value) {
        long page = offset >>> pageShift;
        if (page == lastPage) {
            delegate.putLong(offset, value);
            return;
        }
        long start = touch(page);
        delegate.putLong(offset, value);
        if (start >= 0) {
            recordFault(start);
        }
    }

    @Override
    public int getInt(long offset) {
        long page = offset >>> pageShift;
        if (page == lastPage) {
            return delegate.getInt(offset);
        }
        long start = touch(page);
        int value = delegate.getInt(offset);
        if (start >= 0) {
            recordFault(start);
        }
        return value;
    }

    @Override
    public void putInt(long offset, int value) {
        long page = offset >>> pageShift;
        if (page == lastPage) {
            delegate.putInt(offset, value);
            return;
        }
        long start = touch(page);
        delegate.putInt(offset, value);
        if (start >= 0) {
            recordFault(start);
        }
    }

    @Override
    public byte getByte(long offset) {
        long page = offset >>> pageShift;
        if (page == lastPage) {
            return delegate.getByte(offset);
        }
        long start = touch(page);
        byte value = delegate.getByte(offset);
        if (start >= 0) {
            recordFault(start);
        }
        return value;
    }

    @Override
    public void putByte(long offset, byte value) {
        long page = offset >>> pageShift;
        if (page == lastPage) {
            delegate.putByte(offset, value);
            return;
        }
        long start = touch(page);
        delegate.putByte(offset, value);
        if (start >= 0) {
            recordFault(start);
        }
    }

    /** Bulk copies are paced as one touch of their first page; the pages after it fault unpaced and unrecorded. */
    @Override
    public void read(long offset, MemorySegment destination, long lengthInBytes) {
        long start = touch(offset >>> pageShift);
        delegate.read(offset, destination, lengthInBytes);
        if (start >= 0) {
            recordFault(start);
        }
        lastPage = -1;
    }

    @Override
    public void write(long offset, MemorySegment source, long lengthInBytes) {
        long start = touch(offset >>> pageShift);
        delegate.write(offset, source, lengthInBytes);
        if (start >= 0) {
            recordFault(start);
        }
        lastPage = -1;
    }
}
