package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.fault.FaultEngine;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Which vCPU is blocked in the kernel on which page, and since when, so that the install that wakes it records
 * its blocktime ({@link FaultEngine#recordVcpuBlocktime}, the {@code postcopy.vcpu.blocktime} timer), as QEMU's
 * postcopy blocktime does: a vCPU thread waits for at most one fault at a time.
 *
 * <p>Entries are set by the fault handler, before it publishes the page's fault time in {@link KernelFaultTimes};
 * they are taken by whichever thread then takes that time, so every wait is recorded exactly once (an install
 * racing with the read of the message is handled as {@link KernelFaultTimes} describes).
 *
 * <p>Thread-safe: {@link #onFault} on the handler thread, {@link #onInstalled} on any installing thread.
 */
final class BlockedVcpus {
    private final FaultEngine engine;
    private final AtomicReferenceArray<Blocked> blocked;

    BlockedVcpus(FaultEngine engine) {
        this.engine = engine;
        this.blocked = new AtomicReferenceArray<>(engine.syncSlots());
    }

    /**
     * The handler read a fault of vCPU {@code vcpu} on {@code pageIndex} at {@code nowNs}. A second message for
     * the page the vCPU already waits for (a spurious wake-up and retry) keeps the first time: it was blocked
     * all along.
     */
    void onFault(int vcpu, long pageIndex, long nowNs) {
        Blocked current = blocked.get(vcpu);
        if (current == null || current.pageIndex() != pageIndex) {
            blocked.set(vcpu, new Blocked(pageIndex, nowNs));
        }
    }

    /** {@code pageIndex} was installed at {@code nowNs}: records the wait of every vCPU blocked on it. */
    void onInstalled(long pageIndex, long nowNs) {
        for (int vcpu = 0; vcpu < blocked.length(); vcpu++) {
            Blocked b = blocked.get(vcpu);
            if (b != null && b.pageIndex() == pageIndex && blocked.compareAndSet(vcpu, b, null)) {
                engine.recordVcpuBlocktime(vcpu, Math.max(0, nowNs - b.sinceNs()));
            }
        }
    }

    private record Blocked(long pageIndex, long sinceNs) {
    }
}
