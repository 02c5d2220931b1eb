package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.memory.OffHeapLongs;

/**
 * When the handler read the first fault message of each missing page, so that the install that wakes the
 * kernel-blocked vCPU can report the fault's latency ({@link FaultEngine#recordResolvedKernelFault}), and, where
 * the message names its vCPU, that vCPU's blocktime ({@link BlockedVcpus}). No Java thread waits for a kernel
 * fault, so nothing else can measure it.
 *
 * <p>One {@code long} per page (8 bytes per 4 KiB of guest RAM, 0.2 %, off the Java heap and committed only where
 * written: see {@link OffHeapLongs}), 0 meaning no fault pending; times are
 * the engine's {@linkplain FaultEngine#nanoTime() clock}. Each recorded time is reported exactly once: the
 * handler {@linkplain #onFault records} (a CAS from 0), installers {@linkplain #onInstalled take} it with
 * {@code getAndSet(0)} after marking the page cached, and the handler takes it itself if the page turns out to
 * be cached already, so an install racing with the read of its fault message neither loses nor doubles it.
 * Whoever takes the time also takes the blocked vCPUs of the page, which the handler noted before the time.
 *
 * <p>Thread-safe: {@link #onFault} on the handler thread, {@link #onInstalled} on any installing thread.
 */
final class KernelFaultTimes {
    private final OffHeapLongs faultTimesNs;
    private final FaultEngine engine;
    private final BlockedVcpus blockedVcpus;

    KernelFaultTimes(FaultEngine engine) {
        this.engine = engine;
        this.faultTimesNs = new OffHeapLongs(engine.geometry().pageCount());
        this.blockedVcpus = new BlockedVcpus(engine);
    }

    /**
     * The handler read a fault message for {@code pageIndex} now; keeps the earliest pending time.
     *
     * @param vcpu the vCPU whose thread faulted, or -1 if unknown (no thread ids, or not a vCPU thread)
     * @return true if this was the page's first pending fault, false if one was pending already (coalesced)
     */
    boolean onFault(long pageIndex, int vcpu) {
        long now = engine.nanoTime();
        if (vcpu >= 0) {
            blockedVcpus.onFault(vcpu, pageIndex, now); // before the time: whoever takes the time sees the vCPU
        }
        return faultTimesNs.compareAndSet(pageIndex, 0L, now == 0 ? 1 : now);
    }

    /**
     * {@code pageIndex} is cached now (COPY, ZEROPAGE, or a local zero-fill): reports its pending fault, if any,
     * and the blocktime of each vCPU that waited for it. Call after {@link FaultEngine#markCached}.
     */
    void onInstalled(long pageIndex) {
        if (faultTimesNs.getVolatile(pageIndex) == 0) {
            return; // the common case on the background path: nobody faulted on it
        }
        long faultNs = faultTimesNs.getAndSet(pageIndex, 0L);
        if (faultNs != 0) {
            long now = engine.nanoTime();
            engine.recordResolvedKernelFault(pageIndex, Math.max(0, now - faultNs));
            blockedVcpus.onInstalled(pageIndex, now);
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
        return faultTimesNs.getVolatile(pageIndex) != 0;
    }
}
