package io.postcopy.engine.memory;

import io.postcopy.engine.nativeio.Libc;
import io.postcopy.engine.nativeio.Mman;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A fixed table of {@code long}s outside the Java heap, all 0 until written, for per-page tables (8 bytes per
 * page: 8 MiB for 4 GiB of 4 KiB pages). On the heap such a table is a humongous G1 object: allocating it zeroes
 * it on the spot and can start a GC pause, and these tables are allocated just before a switchover, so the pause
 * (longer the larger the guest) landed in the migration's downtime. Here the table is a private anonymous mapping
 * (where libc is available; zeroed off-heap memory otherwise): nothing is zeroed up front, memory is committed only
 * where written, and the GC never sees it. The mapping is released once the table is unreachable.
 *
 * <p>Thread-safe: every accessor is atomic on its slot, with the memory order in its name. Indexes are checked.
 */
public final class OffHeapLongs {
    private static final VarHandle SLOT = ValueLayout.JAVA_LONG.varHandle();
    private static final long SYSTEM_PAGE_SIZE = 4096;

    private final MemorySegment slots;
    private final long length;

    /**
     * @param length number of slots, at least 0
     */
    public OffHeapLongs(long length) {
        if (length < 0 || length > Long.MAX_VALUE / Long.BYTES - SYSTEM_PAGE_SIZE) {
            throw new IllegalArgumentException("length=" + length + " (expected: >= 0)");
        }
        this.length = length;
        long bytes = Math.max(SYSTEM_PAGE_SIZE, Math.ceilDiv(length * Long.BYTES, SYSTEM_PAGE_SIZE) * SYSTEM_PAGE_SIZE);
        Arena arena = Arena.ofAuto();
        this.slots = Libc.isAvailable() ? Mman.mapAnonymous(arena, bytes, SYSTEM_PAGE_SIZE)
            : arena.allocate(bytes, Long.BYTES);
    }

    /** Number of slots. */
    public long length() {
        return length;
    }

    /** Load-acquire of slot {@code index}. */
    public long getAcquire(long index) {
        return (long) SLOT.getAcquire(slots, offset(index));
    }

    /** Volatile load of slot {@code index}. */
    public long getVolatile(long index) {
        return (long) SLOT.getVolatile(slots, offset(index));
    }

    /** Store-release of {@code value} into slot {@code index}. */
    public void setRelease(long index, long value) {
        SLOT.setRelease(slots, offset(index), value);
    }

    /** Atomically sets slot {@code index} to {@code value} if it holds {@code expected}; true if it did. */
    public boolean compareAndSet(long index, long expected, long value) {
        return SLOT.compareAndSet(slots, offset(index), expected, value);
    }

    /** Atomically sets slot {@code index} to {@code value} and returns what it held. */
    public long getAndSet(long index, long value) {
        return (long) SLOT.getAndSet(slots, offset(index), value);
    }

    private long offset(long index) {
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException("index=" + index + " (expected: 0 <= index < " + length + ")");
        }
        return index * Long.BYTES;
    }
}
