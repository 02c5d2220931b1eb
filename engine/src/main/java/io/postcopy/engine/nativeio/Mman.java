package io.postcopy.engine.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code mmap(2)}, {@code munmap(2)} and {@code madvise(2)}: anonymous mappings for guest RAM whose lifetime is
 * bound to an {@link Arena}, so that closing the arena unmaps the memory exactly once.
 */
@SuppressWarnings("restricted")
public final class Mman {
    /** Pages may be read. */
    public static final int PROT_READ = 0x1;
    /** Pages may be written. */
    public static final int PROT_WRITE = 0x2;
    /** Changes are private to this process. */
    public static final int MAP_PRIVATE = 0x02;
    /** Not backed by a file; zero-filled on first touch. */
    public static final int MAP_ANONYMOUS = 0x20;
    /** Do not reserve swap: guest RAM is sparse until touched. */
    public static final int MAP_NORESERVE = 0x4000;
    /** Map exactly at the address, but fail with EEXIST rather than replace an existing mapping (Linux 4.17). */
    public static final int MAP_FIXED_NOREPLACE = 0x100000;
    /** Drop the pages: the next touch sees zeros (anonymous) or raises a userfaultfd MISSING fault. */
    public static final int MADV_DONTNEED = 4;

    private static final MethodHandle MMAP = Libc.downcall("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS,
        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
        ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP = Libc.downcall("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle MADVISE = Libc.downcall("madvise", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final long MAP_FAILED = -1L;

    private Mman() {
    }

    /**
     * Maps {@code lengthInBytes} of private anonymous memory aligned to {@code alignmentInBytes}, unmapped when
     * {@code arena} closes. The memory is zero and takes no physical pages until touched.
     *
     * @param arena            owns the mapping; closing it unmaps
     * @param lengthInBytes    size of the mapping, a multiple of the system page size
     * @param alignmentInBytes power of two; the start address is a multiple of it
     * @return a segment of exactly {@code lengthInBytes}, scoped to {@code arena}
     */
    public static MemorySegment mapAnonymous(Arena arena, long lengthInBytes, long alignmentInBytes) {
        long padded = lengthInBytes + (alignmentInBytes > 4096 ? alignmentInBytes : 0);
        long base = mmap(padded);
        long start = (base + alignmentInBytes - 1) & -alignmentInBytes;
        // Trim the unaligned head and the unused tail so that exactly [start, start + length) stays mapped.
        if (start > base) {
            munmap(base, start - base);
        }
        long end = start + lengthInBytes;
        if (base + padded > end) {
            munmap(end, base + padded - end);
        }
        return MemorySegment.ofAddress(start).reinterpret(lengthInBytes, arena, s -> munmap(start, lengthInBytes));
    }

    /**
     * Maps private anonymous read-write memory at exactly {@code [address, address + lengthInBytes)}, only if
     * nothing is mapped there ({@code MAP_FIXED_NOREPLACE}): never replaces a mapping someone else made. The
     * caller owns the new mapping (nothing unmaps it for it).
     *
     * @param address       page-aligned
     * @param lengthInBytes a multiple of the system page size
     * @return true if the range is now mapped by this call; false if (part of) it was taken, or the kernel ignored
     *     the flag and chose another address (then unmapped again)
     */
    public static boolean mapAnonymousAt(long address, long lengthInBytes) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(call);
            int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE;
            MemorySegment mapped = (MemorySegment) MMAP.invokeExact(state, MemorySegment.ofAddress(address),
                lengthInBytes, PROT_READ | PROT_WRITE, flags, -1, 0L);
            if (mapped.address() == MAP_FAILED) {
                return false;
            }
            if (mapped.address() != address) {
                munmap(mapped.address(), lengthInBytes); // a kernel before 4.17 took the address as a hint
                return false;
            }
            return true;
        } catch (Throwable t) {
            throw Libc.rethrow("mmap", t);
        }
    }

    /**
     * {@code madvise(address, length, advice)}.
     *
     * @param region the pages to advise on; its address and size must be page aligned
     * @param advice for example {@link #MADV_DONTNEED}
     */
    public static void madvise(MemorySegment region, int advice) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(call);
            int rc = (int) MADVISE.invokeExact(state, MemorySegment.ofAddress(region.address()), region.byteSize(),
                advice);
            if (rc != 0) {
                throw Libc.failure("madvise(" + advice + ")", Libc.errno(state));
            }
        } catch (Throwable t) {
            throw Libc.rethrow("madvise", t);
        }
    }

    private static long mmap(long lengthInBytes) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(call);
            MemorySegment address = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, lengthInBytes,
                PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            if (address.address() == MAP_FAILED) {
                throw Libc.failure("mmap(" + lengthInBytes + " bytes)", Libc.errno(state));
            }
            return address.address();
        } catch (Throwable t) {
            throw Libc.rethrow("mmap", t);
        }
    }

    private static void munmap(long address, long lengthInBytes) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(call);
            int rc = (int) MUNMAP.invokeExact(state, MemorySegment.ofAddress(address), lengthInBytes);
            if (rc != 0) {
                throw Libc.failure("munmap", Libc.errno(state));
            }
        } catch (Throwable t) {
            throw Libc.rethrow("munmap", t);
        }
    }
}
