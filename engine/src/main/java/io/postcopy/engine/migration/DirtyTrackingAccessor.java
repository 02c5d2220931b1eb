package io.postcopy.engine.migration;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.device.DirtyPageLog;
import io.postcopy.engine.memory.MemoryGeometry;

import java.lang.foreign.MemorySegment;

/**
 * The source VM's accessor during precopy: every store goes to memory first and is then logged in a
 * {@link DirtyPageLog} with a release OR. A precopy round takes the log's bits (atomic get-and-set) before it
 * copies the pages, so a store is either seen by that copy or leaves its bit set for the next round: no write is
 * lost. Loads pass straight through.
 */
public final class DirtyTrackingAccessor implements GuestAccessor {
    private final GuestAccessor memory;
    private final DirtyPageLog log;

    /** Logs the stores made through {@code memory} into {@code log} (while the log is tracking). */
    public DirtyTrackingAccessor(GuestAccessor memory, DirtyPageLog log) {
        this.memory = memory;
        this.log = log;
    }

    @Override
    public MemoryGeometry geometry() {
        return memory.geometry();
    }

    @Override
    public long getLong(long offset) {
        return memory.getLong(offset);
    }

    @Override
    public void putLong(long offset, long value) {
        memory.putLong(offset, value);
        log.markWritten(offset, Long.BYTES);
    }

    @Override
    public int getInt(long offset) {
        return memory.getInt(offset);
    }

    @Override
    public void putInt(long offset, int value) {
        memory.putInt(offset, value);
        log.markWritten(offset, Integer.BYTES);
    }

    @Override
    public byte getByte(long offset) {
        return memory.getByte(offset);
    }

    @Override
    public void putByte(long offset, byte value) {
        memory.putByte(offset, value);
        log.markWritten(offset, 1);
    }

    @Override
    public void read(long offset, MemorySegment destination, long lengthInBytes) {
        memory.read(offset, destination, lengthInBytes);
    }

    @Override
    public void write(long offset, MemorySegment source, long lengthInBytes) {
        memory.write(offset, source, lengthInBytes);
        log.markWritten(offset, lengthInBytes);
    }
}
