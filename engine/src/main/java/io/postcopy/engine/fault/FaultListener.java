package io.postcopy.engine.fault;

/**
 * Observes resolved faults, for reports and histograms (for example an HdrHistogram in the CLI). Called on the
 * faulting thread right after it was woken: keep it short and non-blocking.
 */
@FunctionalInterface
public interface FaultListener {
    /** Ignores everything. */
    FaultListener NONE = (slot, pageIndex, latencyNs, coalesced) -> { };

    /**
     * @param slot      the sync slot (vCPU) that waited, or -1 for an async waiter
     * @param pageIndex the page
     * @param latencyNs from the fault to the wake-up, in nanoseconds
     * @param coalesced true if another thread had already requested the page
     */
    void onFaultResolved(int slot, long pageIndex, long latencyNs, boolean coalesced);
}
