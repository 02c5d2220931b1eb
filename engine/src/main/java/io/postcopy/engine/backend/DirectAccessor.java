package io.postcopy.engine.backend;

import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.MemoryGeometry;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An accessor with no fault checks, for memory that is wholly present: the source VM's RAM before and during
 * migration, or a snapshot being written. Thread-safe in the same sense as the memory itself.
 */
public final class DirectAccessor implements GuestAccessor {
    private final MemorySegment segment;
    private final MemoryGeometry geometry;

    /** An accessor over all of {@code memory}. */
    public DirectAccessor(GuestMemory memory) {
        this.segment = memory.segment();
        this.geometry = memory.geometry();
    }

    @Override
    public MemoryGeometry geometry() {
        return geometry;
    }

    @Override
    public long getLong(long offset) {
        check(offset);
        return segment.get(ValueLayout.JAVA_LONG, offset);
    }

    @Override
    public void putLong(long offset, long value) {
        check(offset);
        segment.set(ValueLayout.JAVA_LONG, offset, value);
    }

    @Override
    public int getInt(long offset) {
        check(offset);
        return segment.get(ValueLayout.JAVA_INT, offset);
    }

    @Override
    public void putInt(long offset, int value) {
        check(offset);
        segment.set(ValueLayout.JAVA_INT, offset, value);
    }

    @Override
    public byte getByte(long offset) {
        check(offset);
        return segment.get(ValueLayout.JAVA_BYTE, offset);
    }

    @Override
    public void putByte(long offset, byte value) {
        check(offset);
        segment.set(ValueLayout.JAVA_BYTE, offset, value);
    }

    @Override
    public void read(long offset, MemorySegment destination, long lengthInBytes) {
        checkRange(offset, lengthInBytes);
        MemorySegment.copy(segment, offset, destination, 0, lengthInBytes);
    }

    @Override
    public void write(long offset, MemorySegment source, long lengthInBytes) {
        checkRange(offset, lengthInBytes);
        MemorySegment.copy(source, 0, segment, offset, lengthInBytes);
    }

    private void check(long offset) {
        geometry.checkOffset(offset);
    }

    private void checkRange(long offset, long length) {
        geometry.checkRange(offset, length);
    }
}
