package io.postcopy.engine.nativeio;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** {@code read(2)}, {@code write(2)} and {@code close(2)} on raw file descriptors, errno captured. */
final class Fds {
    private static final MethodHandle READ = Libc.downcall("read", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle WRITE = Libc.downcall("write", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle CLOSE = Libc.downcall("close", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT));

    private Fds() {
    }

    /**
     * {@code read(fd, buffer, buffer.byteSize())}.
     *
     * @return bytes read, or {@code -errno}
     */
    static long read(int fd, MemorySegment buffer) {
        CallFrame frame = CallFrame.current();
        try {
            long n = (long) READ.invokeExact(frame.callState, fd, buffer, buffer.byteSize());
            return n >= 0 ? n : -frame.errno();
        } catch (Throwable t) {
            throw Libc.rethrow("read", t);
        }
    }

    /**
     * {@code write(fd, buffer, buffer.byteSize())}.
     *
     * @return bytes written, or {@code -errno}
     */
    static long write(int fd, MemorySegment buffer) {
        CallFrame frame = CallFrame.current();
        try {
            long n = (long) WRITE.invokeExact(frame.callState, fd, buffer, buffer.byteSize());
            return n >= 0 ? n : -frame.errno();
        } catch (Throwable t) {
            throw Libc.rethrow("write", t);
        }
    }

    /**
     * {@code close(fd)}. On Linux the descriptor is released even when close reports EINTR, so EINTR is not
     * retried (a retry could close a descriptor another thread has just been given).
     */
    static void close(int fd, String what) {
        CallFrame frame = CallFrame.current();
        try {
            int rc = (int) CLOSE.invokeExact(frame.callState, fd);
            if (rc != 0 && frame.errno() != Libc.EINTR) {
                throw Libc.failure("close(" + what + ")", frame.errno());
            }
        } catch (Throwable t) {
            throw Libc.rethrow("close", t);
        }
    }
}
