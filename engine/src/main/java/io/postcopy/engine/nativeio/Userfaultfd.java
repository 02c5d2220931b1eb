package io.postcopy.engine.nativeio;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One userfaultfd: its lifecycle ({@link #open()}, {@link #close()}) and its ioctls (API, REGISTER,
 * UNREGISTER, COPY, ZEROPAGE, WAKE). The fd is opened close-on-exec and non-blocking: {@link #readMessages}
 * returns 0 instead of blocking, and the caller {@linkplain Poll polls}.
 *
 * <p>Control calls ({@link #api}, {@link #register}, {@link #unregister}) throw {@link PostcopyException} with
 * code {@code NATIVE} naming the errno. The hot calls ({@link #copy}, {@link #zeroPage}, {@link #wake}) return
 * a count or a negative errno instead, because EEXIST and EAGAIN are expected outcomes there, not errors.
 *
 * <p>Thread-safe: every call uses the calling thread's own scratch; the kernel serialises what needs it.
 */
public final class Userfaultfd implements AutoCloseable {
    private static final MethodHandle SYSCALL = Libc.downcallVariadic("syscall",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), 1);
    private static final MethodHandle OPEN = Libc.downcallVariadic("open",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
        2);
    private static final MethodHandle IOCTL_PTR = Libc.downcallVariadic("ioctl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
        2);
    private static final MethodHandle IOCTL_LONG = Libc.downcallVariadic("ioctl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
        2);
    private static final int FD_FLAGS = UffdStructs.O_CLOEXEC | UffdStructs.O_NONBLOCK;

    /** How a userfaultfd can be obtained; {@link #open()} tries them in this order. */
    public enum OpenRoute {
        /** {@code syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK)}: needs CAP_SYS_PTRACE or the sysctl. */
        SYSCALL,
        /** The same plus {@code UFFD_USER_MODE_ONLY}: allowed unprivileged; kernel-mode faults are not caught. */
        SYSCALL_USER_MODE_ONLY,
        /** {@code ioctl(open("/dev/userfaultfd"), USERFAULTFD_IOC_NEW, flags)}: governed by the device's mode. */
        DEV_USERFAULTFD
    }

    private final int fd;
    private final OpenRoute route;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Userfaultfd(int fd, OpenRoute route) {
        this.fd = fd;
        this.route = route;
    }

    /**
     * Opens a userfaultfd by the first route that works: the plain syscall, then the syscall with
     * {@code UFFD_USER_MODE_ONLY} (what an unprivileged process may have), then {@code /dev/userfaultfd}.
     *
     * @return an fd the caller must {@link #close()}; {@code UFFDIO_API} is not done yet
     * @throws PostcopyException ({@code NATIVE}) naming every route's failure
     */
    public static Userfaultfd open() {
        PostcopyException failure = null;
        for (OpenRoute route : OpenRoute.values()) {
            try {
                return open(route);
            } catch (PostcopyException e) {
                if (failure == null) {
                    failure = new PostcopyException(ErrorCode.NATIVE, "no route to a userfaultfd worked: "
                        + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        throw failure;
    }

    /**
     * Opens a userfaultfd by one given route.
     *
     * @throws PostcopyException ({@code NATIVE}) with the route and the errno if it fails
     */
    public static Userfaultfd open(OpenRoute route) {
        return new Userfaultfd(switch (route) {
            case SYSCALL -> viaSyscall(FD_FLAGS);
            case SYSCALL_USER_MODE_ONLY -> viaSyscall(FD_FLAGS | UffdStructs.UFFD_USER_MODE_ONLY);
            case DEV_USERFAULTFD -> viaDevice();
        }, route);
    }

    /**
     * The {@code UFFD_FEATURE_*} bits this kernel offers on a userfaultfd opened by {@code route}, learned on a
     * scratch fd: {@code UFFDIO_API} can be done only once per fd and fails whole if it asks for a feature the
     * kernel lacks, so a caller with optional features asks here first, then asks its own fd for exactly the
     * offered ones it uses.
     *
     * @throws PostcopyException ({@code NATIVE}) if the scratch fd cannot be opened or its handshake fails
     */
    public static long offeredFeatures(OpenRoute route) {
        try (Userfaultfd scratch = open(route)) {
            return scratch.api(0).availableFeatures();
        }
    }

    /** The raw descriptor, for {@link Poll}. Valid until {@link #close()}. */
    public int fd() {
        return fd;
    }

    /** The route by which this fd was obtained. */
    public OpenRoute route() {
        return route;
    }

    /**
     * {@code UFFDIO_API}: the handshake, done once, before anything else. Asks for exactly
     * {@code requestedFeatures} (unknown bits are refused by the kernel, never ignored).
     *
     * @param requestedFeatures {@code UFFD_FEATURE_*} bits the caller will use
     * @return what the kernel answered
     * @throws PostcopyException ({@code NATIVE}) if the kernel refuses, naming the features that it lacks
     */
    public UffdApi api(long requestedFeatures) {
        CallFrame frame = CallFrame.current();
        frame.struct.set(ValueLayout.JAVA_LONG, 0, UffdStructs.UFFD_API);
        frame.struct.set(ValueLayout.JAVA_LONG, UffdStructs.API_FEATURES_OFFSET, requestedFeatures);
        int rc = ioctl(frame, UffdStructs.UFFDIO_API, "UFFDIO_API");
        long available = frame.struct.get(ValueLayout.JAVA_LONG, UffdStructs.API_FEATURES_OFFSET);
        if (rc != 0) {
            int errno = frame.errno();
            String missing = errno == Libc.EINVAL && available != requestedFeatures
                ? "; features asked for that this kernel lacks: 0x" + Long.toHexString(requestedFeatures & ~available)
                : "";
            throw new PostcopyException(ErrorCode.NATIVE, "UFFDIO_API(features=0x" + Long.toHexString(requestedFeatures)
                + ") failed: errno " + errno + " (" + Libc.strerror(errno) + ")" + missing);
        }
        return new UffdApi(requestedFeatures, available,
            frame.struct.get(ValueLayout.JAVA_LONG, UffdStructs.API_IOCTLS_OFFSET));
    }

    /**
     * {@code UFFDIO_REGISTER}: faults in {@code range} are reported on this fd.
     *
     * @param range page-aligned memory of this process; the caller keeps it mapped while registered
     * @param mode  for example {@link UffdStructs#UFFDIO_REGISTER_MODE_MISSING}
     * @return the ioctls mask the kernel answers for the range (bit {@code _UFFDIO_COPY} etc.)
     */
    public long register(MemorySegment range, long mode) {
        CallFrame frame = CallFrame.current();
        frame.struct.set(ValueLayout.JAVA_LONG, 0, range.address());
        frame.struct.set(ValueLayout.JAVA_LONG, UffdStructs.RANGE_LEN_OFFSET, range.byteSize());
        frame.struct.set(ValueLayout.JAVA_LONG, UffdStructs.REGISTER_MODE_OFFSET, mode);
        if (ioctl(frame, UffdStructs.UFFDIO_REGISTER, "UFFDIO_REGISTER") != 0) {
            throw Libc.failure("UFFDIO_REGISTER(" + range.byteSize() + " bytes, mode=" + mode + ")", frame.errno());
        }
        return frame.struct.get(ValueLayout.JAVA_LONG, UffdStructs.REGISTER_IOCTLS_OFFSET);
    }

    /** {@code UFFDIO_UNREGISTER}: threads blocked on faults in {@code range} are woken and see plain memory. */
    public void unregister(MemorySegment range) {
        int rc = rangeIoctl(UffdStructs.UFFDIO_UNREGISTER, range.address(), range.byteSize());
        if (rc != 0) {
            throw Libc.failure("UFFDIO_UNREGISTER(" + range.byteSize() + " bytes)", -rc);
        }
    }

    /**
     * {@code UFFDIO_COPY}: atomically fills missing pages at {@code destination} with bytes from {@code source}
     * and, unless {@code mode} has DONTWAKE, wakes the threads blocked on them.
     *
     * @param destination page-aligned registered range; its size is the copy length (a multiple of the page size)
     * @param source      at least as many bytes, native, not inside a registered range; kept alive by the caller
     * @param mode        0, or {@link UffdStructs#UFFDIO_COPY_MODE_DONTWAKE}
     * @return bytes copied ({@code destination.byteSize()} when complete; fewer on a partial copy, which the caller
     *     retries from there), or a negative errno: {@code -EEXIST} if the first page was already present,
     *     {@code -EAGAIN} if the mm is changing (retry), {@code -ENOENT} if the range is gone
     */
    public long copy(MemorySegment destination, MemorySegment source, long mode) {
        CallFrame frame = CallFrame.current();
        frame.struct.set(ValueLayout.JAVA_LONG, 0, destination.address());
        frame.struct.set(ValueLayout.JAVA_LONG, UffdStructs.COPY_SRC_OFFSET, source.address());
        frame.struct.set(ValueLayout.JAVA_LONG, UffdStructs.COPY_LEN_OFFSET, destination.byteSize());
        frame.struct.set(ValueLayout.JAVA_LONG, UffdStructs.COPY_MODE_OFFSET, mode);
        int rc = ioctl(frame, UffdStructs.UFFDIO_COPY, "UFFDIO_COPY");
        long copied = frame.struct.get(ValueLayout.JAVA_LONG, UffdStructs.COPY_COPY_OFFSET);
        return rc == 0 ? destination.byteSize() : copied > 0 ? copied : -frame.errno();
    }

    /**
     * {@code UFFDIO_ZEROPAGE}: maps zero pages at the missing pages of {@code destination} and wakes their
     * waiters unless DONTWAKE.
     *
     * @return bytes zeroed, or a negative errno, as {@link #copy}
     */
    public long zeroPage(MemorySegment destination, long mode) {
        CallFrame frame = CallFrame.current();
        frame.struct.set(ValueLayout.JAVA_LONG, 0, destination.address());
        frame.struct.set(ValueLayout.JAVA_LONG, UffdStructs.RANGE_LEN_OFFSET, destination.byteSize());
        frame.struct.set(ValueLayout.JAVA_LONG, UffdStructs.ZEROPAGE_MODE_OFFSET, mode);
        int rc = ioctl(frame, UffdStructs.UFFDIO_ZEROPAGE, "UFFDIO_ZEROPAGE");
        long zeroed = frame.struct.get(ValueLayout.JAVA_LONG, UffdStructs.ZEROPAGE_ZEROPAGE_OFFSET);
        return rc == 0 ? destination.byteSize() : zeroed > 0 ? zeroed : -frame.errno();
    }

    /**
     * {@code UFFDIO_WAKE}: wakes threads blocked on faults in {@code range} (they retry the access).
     *
     * @return 0, or a negative errno
     */
    public int wake(MemorySegment range) {
        return rangeIoctl(UffdStructs.UFFDIO_WAKE, range.address(), range.byteSize());
    }

    /**
     * Reads as many whole {@code struct uffd_msg} as are queued and fit into {@code buffer}, without blocking.
     *
     * @param buffer native, a multiple of {@link UffdMessage#SIZE_IN_BYTES} long
     * @return the number of messages read; 0 if none is queued
     * @throws PostcopyException ({@code NATIVE}) on any other failure
     */
    public int readMessages(MemorySegment buffer) {
        long n = Fds.read(fd, buffer);
        if (n >= 0) {
            return (int) (n / UffdMessage.SIZE_IN_BYTES);
        }
        if (n == -Libc.EAGAIN || n == -Libc.EINTR) {
            return 0;
        }
        throw Libc.failure("read(userfaultfd)", (int) -n);
    }

    /** True once {@link #close()} ran. */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Closes the fd. The kernel then unregisters every range and wakes every thread blocked on a fault of it
     * (they retry and see plain memory). Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Fds.close(fd, "userfaultfd");
        }
    }

    private int rangeIoctl(long request, long start, long lengthInBytes) {
        CallFrame frame = CallFrame.current();
        frame.struct.set(ValueLayout.JAVA_LONG, 0, start);
        frame.struct.set(ValueLayout.JAVA_LONG, UffdStructs.RANGE_LEN_OFFSET, lengthInBytes);
        return ioctl(frame, request, "range ioctl") == 0 ? 0 : -frame.errno();
    }

    private int ioctl(CallFrame frame, long request, String what) {
        try {
            return (int) IOCTL_PTR.invokeExact(frame.callState, fd, request, frame.struct);
        } catch (Throwable t) {
            throw Libc.rethrow(what, t);
        }
    }

    private static int viaSyscall(int flags) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(call);
            long fd = (long) SYSCALL.invokeExact(state, UffdStructs.SYS_USERFAULTFD, (long) flags);
            if (fd < 0) {
                throw Libc.failure("userfaultfd(flags=0x" + Integer.toHexString(flags) + ")", Libc.errno(state));
            }
            return (int) fd;
        } catch (Throwable t) {
            throw Libc.rethrow("userfaultfd", t);
        }
    }

    private static int viaDevice() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(call);
            int device = (int) OPEN.invokeExact(state, call.allocateFrom("/dev/userfaultfd"),
                UffdStructs.O_RDWR | UffdStructs.O_CLOEXEC, 0);
            if (device < 0) {
                throw Libc.failure("open(/dev/userfaultfd)", Libc.errno(state));
            }
            try {
                int fd = (int) IOCTL_LONG.invokeExact(state, device, UffdStructs.USERFAULTFD_IOC_NEW, (long) FD_FLAGS);
                if (fd < 0) {
                    throw Libc.failure("ioctl(/dev/userfaultfd, USERFAULTFD_IOC_NEW)", Libc.errno(state));
                }
                return fd;
            } finally {
                Fds.close(device, "/dev/userfaultfd");
            }
        } catch (Throwable t) {
            throw Libc.rethrow("/dev/userfaultfd", t);
        }
    }
}
