package io.postcopy.engine.nativeio;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Copies between native segments with libc {@code memcpy} called as a non-critical downcall: the calling
 * thread is in native state for the whole copy. If the copy touches a missing userfaultfd-registered page, the
 * kernel blocks the thread there, in native state, and a safepoint (a GC) goes on without it
 * (shared/DESIGN.md, "The JVM safepoint rule"). This is how vCPU threads touch guest RAM in uffd mode.
 *
 * <p>Never link this with {@code Linker.Option.critical}: a critical call stays "in Java" and would hold up
 * every safepoint while blocked.
 */
public final class NativeMemory {
    private static final MethodHandle MEMCPY = Libc.downcallNoErrno("memcpy", FunctionDescriptor.ofVoid(
        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    private NativeMemory() {
    }

    /**
     * {@code memcpy(destination, source, lengthInBytes)}. The segments' arenas are kept alive for the call.
     *
     * @param destination native segment of at least {@code lengthInBytes}
     * @param source      native segment of at least {@code lengthInBytes}; must not overlap {@code destination}
     * @param lengthInBytes bytes to copy, &gt;= 0
     * @throws PostcopyException ({@code INVALID_ARGUMENT}) for a heap segment or a length past either end
     */
    public static void copy(MemorySegment destination, MemorySegment source, long lengthInBytes) {
        if (lengthInBytes < 0 || lengthInBytes > destination.byteSize() || lengthInBytes > source.byteSize()
            || !destination.isNative() || !source.isNative()) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "memcpy of " + lengthInBytes + " bytes from "
                + source + " to " + destination + " (expected: native segments at least that long)");
        }
        try {
            MEMCPY.invokeExact(destination, source, lengthInBytes);
        } catch (Throwable t) {
            throw Libc.rethrow("memcpy", t);
        }
    }
}
