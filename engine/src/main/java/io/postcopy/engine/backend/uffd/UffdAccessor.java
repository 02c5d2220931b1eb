package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.memory.PageBitmap;
import io.postcopy.engine.nativeio.NativeMemory;
import io.postcopy.engine.nativeio.NativeThreads;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The userfaultfd backend's accessor. Every access to guest RAM is a {@code memcpy} downcall, so the calling
 * thread is in native state while it touches guest memory (shared/DESIGN.md, "The JVM safepoint rule").
 * <ul>
 *   <li>A vCPU accessor does no check of its own: a missing page is a kernel fault, the thread blocks in the
 *       kernel until the page is installed, and a GC meanwhile goes on without it.
 *   <li>The host accessor first checks the page's {@code cached} bit and waits in Java
 *       ({@link FaultEngine#awaitPageAsync}), or zero-fills a guest-discarded page, so it normally never takes a
 *       kernel fault; if it does (a racing guest discard), it is in native state then too.
 * </ul>
 * A vCPU accessor is used by its vCPU thread only; the host accessor by any threads.
 */
final class UffdAccessor implements GuestAccessor {
    /** Bytes of the bounce buffer for copies to or from heap segments, done in chunks of this size. */
    static final int BOUNCE_BYTES = 64 * 1024;

    private final MemorySegment guest;
    private final MemoryGeometry geometry;
    private final FaultEngine engine;
    private final PageBitmap cached;
    private final UffdPageStates states;
    private final UffdInstaller installer;
    private final int pageShift;
    private final boolean host;
    /** vCPU accessors with fault messages that name threads: where this accessor's thread registers. */
    private final VcpuThreadIds vcpuThreads;
    private final int vcpuId;
    /** The thread registered as this vCPU's; only the (one) using thread reads and writes it. */
    private Thread registeredThread;
    /** vCPU: its own bounce buffer. Host: null, a thread-local one is used. */
    private final MemorySegment ownBounce;
    private final ThreadLocal<MemorySegment> sharedBounce;

    private UffdAccessor(MemorySegment guest, FaultEngine engine, UffdPageStates states, UffdInstaller installer,
                         MemorySegment ownBounce, VcpuThreadIds vcpuThreads, int vcpuId) {
        this.guest = guest;
        this.geometry = engine.geometry();
        this.engine = engine;
        this.cached = engine.cachedBitmap();
        this.states = states;
        this.installer = installer;
        this.pageShift = geometry.pageShift();
        this.host = ownBounce == null;
        this.vcpuThreads = vcpuThreads;
        this.vcpuId = vcpuId;
        this.ownBounce = ownBounce;
        this.sharedBounce = host ? ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(BOUNCE_BYTES, 8)) : null;
    }

    /**
     * An accessor for one vCPU thread. Its bounce buffer is garbage-collected, not tied to guest memory: a vCPU
     * that the kernel wakes only when the backend closes (a fault on guest-unmapped RAM) still finds its buffer.
     *
     * @param vcpuThreads where the thread using this accessor registers as vCPU {@code vcpuId} before its first
     *                    access (and again if another thread takes the accessor over); null if fault messages
     *                    carry no thread id
     */
    static UffdAccessor forVcpu(MemorySegment guest, FaultEngine engine, UffdPageStates states,
                                UffdInstaller installer, VcpuThreadIds vcpuThreads, int vcpuId) {
        return new UffdAccessor(guest, engine, states, installer, Arena.ofAuto().allocate(BOUNCE_BYTES, 8),
            vcpuThreads, vcpuId);
    }

    /** The accessor for Java-side host code, shared by any threads. */
    static UffdAccessor forHost(MemorySegment guest, FaultEngine engine, UffdPageStates states,
                                UffdInstaller installer) {
        return new UffdAccessor(guest, engine, states, installer, null, null, -1);
    }

    @Override
    public MemoryGeometry geometry() {
        return geometry;
    }

    @Override
    public long getLong(long offset) {
        return load(offset, Long.BYTES).get(ValueLayout.JAVA_LONG, 0);
    }

    @Override
    public void putLong(long offset, long value) {
        MemorySegment scratch = bounce();
        scratch.set(ValueLayout.JAVA_LONG, 0, value);
        store(offset, scratch, Long.BYTES);
    }

    @Override
    public int getInt(long offset) {
        return load(offset, Integer.BYTES).get(ValueLayout.JAVA_INT, 0);
    }

    @Override
    public void putInt(long offset, int value) {
        MemorySegment scratch = bounce();
        scratch.set(ValueLayout.JAVA_INT, 0, value);
        store(offset, scratch, Integer.BYTES);
    }

    @Override
    public byte getByte(long offset) {
        return load(offset, 1).get(ValueLayout.JAVA_BYTE, 0);
    }

    @Override
    public void putByte(long offset, byte value) {
        MemorySegment scratch = bounce();
        scratch.set(ValueLayout.JAVA_BYTE, 0, value);
        store(offset, scratch, 1);
    }

    @Override
    public void read(long offset, MemorySegment destination, long length) {
        checkRange(offset, length);
        if (destination.isNative()) {
            NativeMemory.copy(destination, guest.asSlice(offset, length), length);
            return;
        }
        MemorySegment scratch = bounce();
        for (long done = 0; done < length; done += BOUNCE_BYTES) {
            long chunk = Math.min(BOUNCE_BYTES, length - done);
            NativeMemory.copy(scratch, guest.asSlice(offset + done, chunk), chunk);
            MemorySegment.copy(scratch, 0, destination, done, chunk);
        }
    }

    @Override
    public void write(long offset, MemorySegment source, long length) {
        checkRange(offset, length);
        if (source.isNative()) {
            NativeMemory.copy(guest.asSlice(offset, length), source, length);
            return;
        }
        MemorySegment scratch = bounce();
        for (long done = 0; done < length; done += BOUNCE_BYTES) {
            long chunk = Math.min(BOUNCE_BYTES, length - done);
            MemorySegment.copy(source, done, scratch, 0, chunk);
            NativeMemory.copy(guest.asSlice(offset + done, chunk), scratch, chunk);
        }
    }

    private MemorySegment load(long offset, int size) {
        checkRange(offset, size);
        MemorySegment scratch = bounce();
        NativeMemory.copy(scratch, guest.asSlice(offset, size), size);
        return scratch;
    }

    private void store(long offset, MemorySegment scratch, int size) {
        checkRange(offset, size);
        NativeMemory.copy(guest.asSlice(offset, size), scratch, size);
    }

    private MemorySegment bounce() {
        return host ? sharedBounce.get() : ownBounce;
    }

    /**
     * Range check, unmapped check, and for the host accessor: make every page present first. For a vCPU
     * accessor, registers the calling thread first (before any access can fault).
     */
    private void checkRange(long offset, long length) {
        if (vcpuThreads != null && registeredThread != Thread.currentThread()) {
            registeredThread = Thread.currentThread();
            vcpuThreads.register(vcpuId, NativeThreads.currentThreadId());
        }
        geometry.checkRange(offset, length);
        if (length == 0) {
            return;
        }
        long last = (offset + length - 1) >>> pageShift;
        for (long pageIndex = offset >>> pageShift; pageIndex <= last; pageIndex++) {
            if (states.isUnmapped(pageIndex)) {
                throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "page " + pageIndex
                    + " was unmapped by the guest; it can no longer be accessed");
            }
            if (host && !cached.lvIsSet(pageIndex)) {
                awaitPresent(pageIndex);
            }
        }
    }

    private void awaitPresent(long pageIndex) {
        while (!cached.lvIsSet(pageIndex)) {
            if (states.guestDiscarded.lvIsSet(pageIndex)) {
                if (installer.zeroFillLocal(pageIndex, true) == UffdInstaller.PRESENT && !cached.lvIsSet(pageIndex)) {
                    Thread.onSpinWait(); // another thread holds the claim and is filling it right now
                }
            } else {
                engine.awaitPageAsync(pageIndex);
            }
        }
    }
}
