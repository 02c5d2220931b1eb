package io.postcopy.engine.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code poll(2)} over a fixed set of descriptors, each watched for readability. The {@code pollfd} array is
 * allocated once in the caller's arena.
 *
 * <p>Owned by one thread (an agent's idle strategy); not thread-safe.
 */
public final class Poll {
    /** {@code POLLIN}. */
    public static final short POLLIN = 0x1;
    /** {@code POLLERR}. */
    public static final short POLLERR = 0x8;
    /** {@code POLLHUP}. */
    public static final short POLLHUP = 0x10;
    /** {@code POLLNVAL}: the descriptor is not open. */
    public static final short POLLNVAL = 0x20;
    /** {@code struct pollfd}. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("fd"),
        ValueLayout.JAVA_SHORT.withName("events"), ValueLayout.JAVA_SHORT.withName("revents"));
    private static final long EVENTS_OFFSET = 4;
    private static final long REVENTS_OFFSET = 6;
    private static final MethodHandle POLL = Libc.downcall("poll", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    private final MemorySegment pollfds;
    private final int count;

    /**
     * @param arena owns the {@code pollfd} array; must outlive this object's use
     * @param fds   the descriptors to watch for {@code POLLIN}
     */
    public Poll(Arena arena, int... fds) {
        this.count = fds.length;
        this.pollfds = arena.allocate(POLLFD, fds.length);
        for (int i = 0; i < fds.length; i++) {
            pollfds.set(ValueLayout.JAVA_INT, i * POLLFD.byteSize(), fds[i]);
            pollfds.set(ValueLayout.JAVA_SHORT, i * POLLFD.byteSize() + EVENTS_OFFSET, POLLIN);
        }
    }

    /**
     * Waits until a descriptor is readable (or in error), or {@code timeoutMs} passes. Blocks in native state:
     * it never holds up a safepoint.
     *
     * @param timeoutMs milliseconds; -1 waits without limit
     * @return the number of descriptors with events; 0 on timeout or EINTR
     * @throws io.postcopy.engine.error.PostcopyException ({@code NATIVE}) on any other failure
     */
    public int await(int timeoutMs) {
        CallFrame frame = CallFrame.current();
        try {
            int n = (int) POLL.invokeExact(frame.callState, pollfds, (long) count, timeoutMs);
            if (n < 0) {
                if (frame.errno() == Libc.EINTR) {
                    return 0;
                }
                throw Libc.failure("poll", frame.errno());
            }
            return n;
        } catch (Throwable t) {
            throw Libc.rethrow("poll", t);
        }
    }

    /** {@code revents} of descriptor {@code index} after the last {@link #await}. */
    public short revents(int index) {
        return pollfds.get(ValueLayout.JAVA_SHORT, index * POLLFD.byteSize() + REVENTS_OFFSET);
    }

    /** True if descriptor {@code index} was readable at the last {@link #await}. */
    public boolean isReadable(int index) {
        return (revents(index) & POLLIN) != 0;
    }

    /** True if descriptor {@code index} reported an error, hang-up or invalid fd at the last {@link #await}. */
    public boolean isBroken(int index) {
        return (revents(index) & (POLLERR | POLLHUP | POLLNVAL)) != 0;
    }
}
