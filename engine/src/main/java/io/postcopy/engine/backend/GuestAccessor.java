package io.postcopy.engine.backend;

import io.postcopy.engine.memory.MemoryGeometry;

import java.lang.foreign.MemorySegment;

/**
 * How guest code reads and writes guest RAM: every access first makes sure the page is present (faulting it in
 * from the source if not) and then touches the memory. Offsets are guest-physical byte offsets.
 *
 * <p>Scalar accesses must be naturally aligned ({@code long} on 8 bytes, {@code int} on 4), so they never
 * cross a page. Bulk copies may span pages; each page is made present in turn.
 *
 * <p>An accessor obtained for a vCPU is used by that vCPU's thread only. A host accessor (devices, verifier)
 * may be shared by any threads.
 *
 * @see FaultBackend#vcpuAccessor(int)
 * @see FaultBackend#hostAccessor()
 */
public interface GuestAccessor {
    /** The memory's shape. */
    MemoryGeometry geometry();

    /** Reads 8 bytes at an 8-aligned offset. */
    long getLong(long offset);

    /** Writes 8 bytes at an 8-aligned offset. */
    void putLong(long offset, long value);

    /** Reads 4 bytes at a 4-aligned offset. */
    int getInt(long offset);

    /** Writes 4 bytes at a 4-aligned offset. */
    void putInt(long offset, int value);

    /** Reads one byte. */
    byte getByte(long offset);

    /** Writes one byte. */
    void putByte(long offset, byte value);

    /**
     * Copies {@code lengthInBytes} guest bytes starting at {@code offset} into {@code destination}.
     *
     * @param offset        guest offset of the first byte
     * @param destination   where to copy to; at least {@code lengthInBytes} long
     * @param lengthInBytes number of bytes
     */
    void read(long offset, MemorySegment destination, long lengthInBytes);

    /**
     * Copies {@code lengthInBytes} bytes from {@code source} into guest memory at {@code offset}.
     *
     * @param offset        guest offset of the first byte
     * @param source        what to copy; at least {@code lengthInBytes} long
     * @param lengthInBytes number of bytes
     */
    void write(long offset, MemorySegment source, long lengthInBytes);
}
