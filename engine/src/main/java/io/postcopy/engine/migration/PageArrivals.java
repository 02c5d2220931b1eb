package io.postcopy.engine.migration;

/**
 * How the pages reached the destination. A post-copy migration installs each page exactly once, under one of
 * demand, background or zero; precopy rounds may install a page again after it was discarded as stale.
 *
 * @param demand     non-zero pages fetched for a fault
 * @param background non-zero pages pushed by the post-copy background stream
 * @param zero       pages that arrived as a zero encoding, whatever their origin
 * @param duplicate  arrivals of a page that was already present (nothing was installed)
 * @param precopy    non-zero pages installed from precopy rounds (and a precopy migration's final copy)
 * @param discarded  pages dropped at switchover because precopy had sent content the VM changed since
 * @param precopyResent precopy re-sends that replaced a page's earlier precopy content (not counted above)
 */
public record PageArrivals(long demand, long background, long zero, long duplicate, long precopy, long discarded,
                           long precopyResent) {
    /** A post-copy-only count (no precopy, nothing discarded). */
    public PageArrivals(long demand, long background, long zero, long duplicate) {
        this(demand, background, zero, duplicate, 0, 0, 0);
    }

    /** Installs made: demand + background + zero + precopy; equals pageCount + discarded when complete. */
    public long installed() {
        return demand + background + zero + precopy;
    }
}
