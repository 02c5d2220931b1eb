package io.postcopy.engine.backend.software;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.memory.PageBitmap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The software backend's accessor: a load-acquire of the page's cached bit, then the access. On a miss a vCPU
 * waits in its sync slot; the host accessor waits through the async queue.
 */
final class SoftwareAccessor implements GuestAccessor {
    static final int HOST = -1;

    private final MemorySegment segment;
    private final MemoryGeometry geometry;
    private final FaultEngine engine;
    private final PageBitmap cached;
    private final int pageShift;
    private final long lengthInBytes;
    private final int slot;

    SoftwareAccessor(GuestMemory memory, FaultEngine engine, int slot) {
        this.segment = memory.segment();
        this.geometry = memory.geometry();
        this.engine = engine;
        this.cached = engine.cachedBitmap();
        this.pageShift = geometry.pageShift();
        this.lengthInBytes = geometry.lengthInBytes();
        this.slot = slot;
    }

    @Override
    public MemoryGeometry geometry() {
        return geometry;
    }

    @Override
    public long getLong(long offset) {
        ensurePresent(offset);
        return segment.get(ValueLayout.JAVA_LONG, offset);
    }

    @Override
    public void putLong(long offset, long value) {
        ensurePresent(offset);
        segment.set(ValueLayout.JAVA_LONG, offset, value);
    }

    @Override
    public int getInt(long offset) {
        ensurePresent(offset);
        return segment.get(ValueLayout.JAVA_INT, offset);
    }

    @Override
    public void putInt(long offset, int value) {
        ensurePresent(offset);
        segment.set(ValueLayout.JAVA_INT, offset, value);
    }

    @Override
    public byte getByte(long offset) {
        ensurePresent(offset);
        return segment.get(ValueLayout.JAVA_BYTE, offset);
    }

    @Override
    public void putByte(long offset, byte value) {
        ensurePresent(offset);
        segment.set(ValueLayout.JAVA_BYTE, offset, value);
    }

    @Override
    public void read(long offset, MemorySegment destination, long lengthInBytes) {
        ensureRangePresent(offset, lengthInBytes);
        MemorySegment.copy(segment, offset, destination, 0, lengthInBytes);
    }

    @Override
    public void write(long offset, MemorySegment source, long lengthInBytes) {
        ensureRangePresent(offset, lengthInBytes);
        MemorySegment.copy(source, 0, segment, offset, lengthInBytes);
    }

    private void ensurePresent(long offset) {
        // The hot path of every access: the length is a field of this object (one load), the error path shared.
        if (Long.compareUnsigned(offset, lengthInBytes) >= 0) {
            geometry.checkOffset(offset);
        }
        long pageIndex = offset >>> pageShift;
        if (!cached.lvIsSet(pageIndex)) {
            fault(pageIndex);
        }
    }

    private void ensureRangePresent(long offset, long length) {
        geometry.checkRange(offset, length);
        long last = (offset + length - 1) >>> pageShift;
        for (long pageIndex = offset >>> pageShift; pageIndex <= last && length > 0; pageIndex++) {
            if (!cached.lvIsSet(pageIndex)) {
                fault(pageIndex);
            }
        }
    }

    private void fault(long pageIndex) {
        if (slot == HOST) {
            engine.awaitPageAsync(pageIndex);
        } else {
            engine.awaitPage(slot, pageIndex);
        }
    }
}
