package io.postcopy.engine.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread native scratch for one downcall at a time: the errno capture buffer and a small struct buffer
 * (64 bytes, 8-aligned) for ioctl arguments. Hot calls (UFFDIO_COPY from every receiving thread) then allocate
 * nothing. The memory is owned by an automatic arena and freed once the thread and its frame are gone.
 *
 * <p>Not reentrant: a frame is filled, passed to one call and read back before the next call on the thread.
 */
final class CallFrame {
    /** Bytes of the struct buffer: the largest userfaultfd ioctl argument is 40 bytes. */
    static final long STRUCT_BYTES = 64;
    private static final ThreadLocal<CallFrame> CURRENT = ThreadLocal.withInitial(CallFrame::new);

    final MemorySegment callState;
    final MemorySegment struct;

    private CallFrame() {
        Arena arena = Arena.ofAuto();
        this.callState = Libc.newCallState(arena);
        this.struct = arena.allocate(STRUCT_BYTES, 8);
    }

    /** The calling thread's frame, with the struct buffer zeroed. */
    static CallFrame current() {
        CallFrame frame = CURRENT.get();
        frame.struct.fill((byte) 0);
        return frame;
    }

    int errno() {
        return Libc.errno(callState);
    }
}
