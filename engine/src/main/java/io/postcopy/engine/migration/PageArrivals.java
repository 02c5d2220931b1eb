package io.postcopy.engine.migration;

/**
 * How the pages reached the destination; each page is counted once under the way it was installed.
 *
 * @param demand     non-zero pages fetched for a fault
 * @param background non-zero pages pushed by the background stream (or a precopy round)
 * @param zero       pages that arrived as a zero encoding
 * @param duplicate  arrivals of a page that was already present (nothing was installed)
 */
public record PageArrivals(long demand, long background, long zero, long duplicate) {
    /** Pages installed: demand + background + zero. */
    public long installed() {
        return demand + background + zero;
    }
}
