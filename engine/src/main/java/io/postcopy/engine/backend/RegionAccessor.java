package io.postcopy.engine.backend;

import io.postcopy.engine.memory.MemoryGeometry;

import java.lang.foreign.MemorySegment;

/**
 * A view of the first bytes of guest memory: the part that belongs to the guest program, below the devices' DMA
 * window at the top. Offsets are unchanged (the region starts at 0); an access past the region fails like one
 * past the end of memory. Thread-safety is the underlying accessor's.
 */
public final class RegionAccessor implements GuestAccessor {
    private final GuestAccessor memory;
    private final MemoryGeometry region;

    /**
     * @param memory the whole of guest memory
     * @param region the first {@code region.lengthInBytes()} bytes, with the same page size
     */
    public RegionAccessor(GuestAccessor memory, MemoryGeometry region) {
        if (region.pageSize() != memory.geometry().pageSize()
            || region.lengthInBytes() > memory.geometry().lengthInBytes()) {
            throw new IllegalArgumentException("region " + region + " does not fit " + memory.geometry());
        }
        this.memory = memory;
        this.region = region;
    }

    @Override
    public MemoryGeometry geometry() {
        return region;
    }

    @Override
    public long getLong(long offset) {
        return memory.getLong(check(offset, Long.BYTES));
    }

    @Override
    public void putLong(long offset, long value) {
        memory.putLong(check(offset, Long.BYTES), value);
    }

    @Override
    public int getInt(long offset) {
        return memory.getInt(check(offset, Integer.BYTES));
    }

    @Override
    public void putInt(long offset, int value) {
        memory.putInt(check(offset, Integer.BYTES), value);
    }

    @Override
    public byte getByte(long offset) {
        return memory.getByte(check(offset, 1));
    }

    @Override
    public void putByte(long offset, byte value) {
        memory.putByte(check(offset, 1), value);
    }

    @Override
    public void read(long offset, MemorySegment destination, long lengthInBytes) {
        memory.read(check(offset, lengthInBytes), destination, lengthInBytes);
    }

    @Override
    public void write(long offset, MemorySegment source, long lengthInBytes) {
        memory.write(check(offset, lengthInBytes), source, lengthInBytes);
    }

    private long check(long offset, long lengthInBytes) {
        return region.checkRange(offset, lengthInBytes);
    }
}
