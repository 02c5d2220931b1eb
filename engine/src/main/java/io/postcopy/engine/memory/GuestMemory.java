package io.postcopy.engine.memory;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.nativeio.Libc;
import io.postcopy.engine.nativeio.Mman;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Guest RAM: one off-heap segment owned by one {@link Arena#ofShared() shared arena}, handed out as
 * page-granular slices, closed exactly once.
 *
 * <p>On Linux the segment is a private anonymous mapping, zero and unbacked until touched, so 16 GiB of guest
 * RAM costs nothing until the guest uses it; elsewhere it falls back to {@link Arena#allocate}.
 *
 * <p>This class does no fault checking: it is the raw memory. Guest code reads and writes it through a
 * backend's accessor, which checks the page's {@code cached} bit first.
 */
public final class GuestMemory implements AutoCloseable {
    private final MemoryGeometry geometry;
    private final Arena arena;
    private final MemorySegment segment;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GuestMemory(MemoryGeometry geometry, Arena arena, MemorySegment segment) {
        this.geometry = geometry;
        this.arena = arena;
        this.segment = segment;
    }

    /**
     * Allocates zeroed guest RAM.
     *
     * @param geometry length and page size (already validated by {@link MemoryGeometry})
     * @return memory that the caller must {@link #close()}
     */
    public static GuestMemory allocate(MemoryGeometry geometry) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment segment = Libc.isAvailable()
                ? Mman.mapAnonymous(arena, geometry.lengthInBytes(), geometry.pageSize())
                : arena.allocate(geometry.lengthInBytes(), geometry.pageSize());
            return new GuestMemory(geometry, arena, segment);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw new PostcopyException(ErrorCode.NATIVE, "cannot allocate " + geometry.lengthInBytes()
                + " bytes of guest memory: " + e.getMessage(), e);
        }
    }

    /**
     * Allocates zeroed guest RAM.
     *
     * @param lengthInBytes total size, a positive multiple of {@code pageSize}
     * @param pageSize      4096 or 2097152
     */
    public static GuestMemory allocate(long lengthInBytes, int pageSize) {
        return allocate(new MemoryGeometry(lengthInBytes, pageSize));
    }

    /**
     * Wraps a segment that a backend mapped itself (for example one registered with userfaultfd). The segment's
     * scope must be {@code arena}, which this object then owns and closes.
     */
    public static GuestMemory wrap(MemoryGeometry geometry, Arena arena, MemorySegment segment) {
        if (segment.byteSize() != geometry.lengthInBytes()) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "segment of " + segment.byteSize()
                + " bytes for geometry of " + geometry.lengthInBytes());
        }
        return new GuestMemory(geometry, arena, segment);
    }

    /** Length and page size. */
    public MemoryGeometry geometry() {
        return geometry;
    }

    /** Number of pages. */
    public long pageCount() {
        return geometry.pageCount();
    }

    /** Page size in bytes. */
    public int pageSize() {
        return geometry.pageSize();
    }

    /** Total length in bytes. */
    public long lengthInBytes() {
        return geometry.lengthInBytes();
    }

    /**
     * The whole of guest RAM. Access is raw: no fault checks. Fails once the memory is closed.
     */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * A slice of exactly one page.
     *
     * @throws io.postcopy.engine.error.PageOutOfRangeException for an index outside {@code [0, pageCount)}
     */
    public MemorySegment page(long pageIndex) {
        geometry.checkPageIndex(pageIndex);
        return segment.asSlice(geometry.pageOffset(pageIndex), geometry.pageSize());
    }

    /** True once {@link #close()} has run. */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Releases the memory. Every slice becomes unusable.
     *
     * @throws IllegalStateException on a second call: a double close is a bug in the caller's ownership
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            throw new IllegalStateException("guest memory already closed (" + geometry.lengthInBytes()
                + " bytes); it is closed exactly once by its owner");
        }
        arena.close();
    }
}
