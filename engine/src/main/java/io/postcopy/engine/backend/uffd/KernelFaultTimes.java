package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.fault.FaultEngine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * When the handler read the first fault message of each missing page, so that the install that wakes the
 * kernel-blocked vCPU can report the fault's latency ({@link FaultEngine#recordResolvedKernelFault}). No Java
 * thread waits for a kernel fault, so nothing else can measure it.
 *
 * <p>One {@code long} per page (8 bytes per 4 KiB of guest RAM, 0.2 %), 0 meaning no fault pending; times are
 * the engine's {@linkplain FaultEngine#nanoTime() clock}. Each recorded time is reported exactly once: the
 * handler {@linkplain #onFault records} (a CAS from 0), installers {@linkplain #onInstalled take} it with
 * {@code getAndSet(0)} after marking the page cached, and the handler takes it itself if the page turns out to
 * be cached already, so an install racing with the read of its fault message neither loses nor doubles it.
 *
 * <p>Thread-safe: {@link #onFault} on the handler thread, {@link #onInstalled} on any installing thread.
 */
final class KernelFaultTimes {
    private static final VarHandle TIMES = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] faultTimesNs;
    private final FaultEngine engine;

    KernelFaultTimes(FaultEngine engine) {
        this.engine = engine;
        this.faultTimesNs = new long[Math.toIntExact(engine.geometry().pageCount())];
    }

    /**
     * The handler read a fault message for {@code pageIndex} now; keeps the earliest pending time.
     *
     * @return true if this was the page's first pending fault, false if one was pending already (coalesced)
     */
    boolean onFault(long pageIndex) {
        long now = engine.nanoTime();
        return TIMES.compareAndSet(faultTimesNs, (int) pageIndex, 0L, now == 0 ? 1 : now);
    }

    /**
     * {@code pageIndex} is cached now (COPY, ZEROPAGE, or a local zero-fill): reports its pending fault, if any.
     * Call after {@link FaultEngine#markCached}.
     */
    void onInstalled(long pageIndex) {
        int index = (int) pageIndex;
        if ((long) TIMES.getVolatile(faultTimesNs, index) == 0) {
            return; // the common case on the background path: nobody faulted on it
        }
        long faultNs = (long) TIMES.getAndSet(faultTimesNs, index, 0L);
        if (faultNs != 0) {
            engine.recordResolvedKernelFault(pageIndex, Math.max(0, engine.nanoTime() - faultNs));
        }
    }

    /** {@link #onInstalled} for {@code pageCount} pages from {@code firstPageIndex}. */
    void onInstalled(long firstPageIndex, int pageCount) {
        for (int i = 0; i < pageCount; i++) {
            onInstalled(firstPageIndex + i);
        }
    }

    /** True if a fault on {@code pageIndex} was read and not yet resolved (for the close-time UNMAP check). */
    boolean isPending(long pageIndex) {
        return (long) TIMES.getVolatile(faultTimesNs, (int) pageIndex) != 0;
    }
}
