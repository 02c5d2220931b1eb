package io.postcopy.engine.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An {@code eventfd(2)}: a wake-up another thread can {@link #signal()} to end a {@link Poll} wait at once, for
 * example to stop a handler agent without waiting out its poll timeout.
 *
 * <p>{@link #signal()} may be called by any thread; {@link #close()} once, after the poller stopped.
 */
public final class EventFd implements AutoCloseable {
    /** {@code EFD_CLOEXEC}. */
    public static final int EFD_CLOEXEC = 0x80000;
    /** {@code EFD_NONBLOCK}. */
    public static final int EFD_NONBLOCK = 0x800;
    private static final MethodHandle EVENTFD = Libc.downcall("eventfd", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    /** The value every signal adds; shared by all threads, never written after init (not in the CallFrame). */
    private static final MemorySegment ONE = one();

    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EventFd(int fd) {
        this.fd = fd;
    }

    /**
     * Creates a non-blocking, close-on-exec eventfd with counter 0.
     *
     * @throws io.postcopy.engine.error.PostcopyException ({@code NATIVE}) on failure
     */
    public static EventFd open() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(call);
            int fd = (int) EVENTFD.invokeExact(state, 0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (fd < 0) {
                throw Libc.failure("eventfd", Libc.errno(state));
            }
            return new EventFd(fd);
        } catch (Throwable t) {
            throw Libc.rethrow("eventfd", t);
        }
    }

    /** The raw descriptor, for {@link Poll}. */
    public int fd() {
        return fd;
    }

    /** Adds 1 to the counter: the descriptor becomes readable. Any thread; a no-op once closed. */
    public void signal() {
        if (closed.get()) {
            return;
        }
        Fds.write(fd, ONE);
    }

    private static MemorySegment one() {
        MemorySegment one = Arena.global().allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        return one;
    }

    /** Closes the descriptor. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Fds.close(fd, "eventfd");
        }
    }
}
