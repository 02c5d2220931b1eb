package io.postcopy.engine.nativeio;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Shared plumbing for downcalls into libc: symbol lookup, errno capture, and {@code strerror}.
 *
 * <p>All downcalls made through {@link #downcall} are non-critical: the calling thread is in native state while
 * the call runs, so a call that blocks in the kernel (for example on a userfaultfd-registered page) never
 * holds up a safepoint (shared/DESIGN.md, "The JVM safepoint rule").
 */
@SuppressWarnings("restricted")
public final class Libc {
    /** The native linker of this platform. */
    static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    /** Layout of the call-state buffer each errno-capturing call takes as its first argument. */
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle STRERROR = downcallNoErrno("strerror",
        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    /** errno values the callers react to; checked against the system headers by a test. */
    public static final int EINTR = 4;
    /** Resource temporarily unavailable. */
    public static final int EAGAIN = 11;
    /** Out of memory. */
    public static final int ENOMEM = 12;
    /** Bad address. */
    public static final int EFAULT = 14;
    /** Already exists. */
    public static final int EEXIST = 17;
    /** Invalid argument. */
    public static final int EINVAL = 22;
    /** No such process (userfaultfd: the mm is gone). */
    public static final int ESRCH = 3;
    /** Operation not permitted. */
    public static final int EPERM = 1;
    /** Function not implemented. */
    public static final int ENOSYS = 38;
    /** No such file or directory (userfaultfd: the destination range is not mapped or not registered). */
    public static final int ENOENT = 2;
    /** Bad file descriptor. */
    public static final int EBADF = 9;

    private Libc() {
    }

    /**
     * True if the platform has a native linker whose default lookup provides libc (Linux, glibc).
     *
     * @return whether downcalls can be made at all
     */
    public static boolean isAvailable() {
        return LOOKUP.find("mmap").isPresent();
    }

    /**
     * Looks up {@code name} in libc and links it so that its errno is captured.
     * The returned handle takes the capture segment (see {@link #newCallState}) as its first argument.
     */
    static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LOOKUP.find(name).orElseThrow(
            () -> new PostcopyException(ErrorCode.NATIVE, "libc has no symbol '" + name + "'"));
        return LINKER.downcallHandle(symbol, descriptor, CAPTURE_ERRNO);
    }

    /**
     * Like {@link #downcall(String, FunctionDescriptor)} for a variadic C function ({@code ioctl}, {@code open},
     * {@code syscall}): the arguments from {@code firstVariadicArg} on are passed as variadic, as the ABI wants.
     * Still non-critical.
     */
    static MethodHandle downcallVariadic(String name, FunctionDescriptor descriptor, int firstVariadicArg) {
        MemorySegment symbol = LOOKUP.find(name).orElseThrow(
            () -> new PostcopyException(ErrorCode.NATIVE, "libc has no symbol '" + name + "'"));
        return LINKER.downcallHandle(symbol, descriptor, CAPTURE_ERRNO,
            Linker.Option.firstVariadicArg(firstVariadicArg));
    }

    /** Looks up {@code name} in libc and links it without errno capture. */
    static MethodHandle downcallNoErrno(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LOOKUP.find(name).orElseThrow(
            () -> new PostcopyException(ErrorCode.NATIVE, "libc has no symbol '" + name + "'"));
        return LINKER.downcallHandle(symbol, descriptor);
    }

    /** A call-state buffer for one errno-capturing call, allocated in {@code arena}. */
    static MemorySegment newCallState(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** The errno captured in {@code callState} by the last call that used it. */
    static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /**
     * The C library's text for an errno value, for messages.
     *
     * @param errno an errno value
     * @return for example "Invalid argument"
     */
    public static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** The exception for a failed call: names the call, the errno and its text. */
    static PostcopyException failure(String call, int errno) {
        return new PostcopyException(ErrorCode.NATIVE, call + " failed: errno " + errno + " (" + strerror(errno) + ")");
    }

    /** Rethrows what a {@code MethodHandle.invokeExact} threw, wrapping checked throwables. */
    static RuntimeException rethrow(String call, Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new PostcopyException(ErrorCode.NATIVE, call + " failed: " + t, t);
    }
}
