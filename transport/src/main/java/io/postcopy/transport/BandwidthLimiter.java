package io.postcopy.transport;

/**
 * A token bucket for the background stream only (demand pages are never throttled). Holds up to 10 ms of tokens,
 * so bursts stay short. Tokens may be {@linkplain #charge charged} beyond what is there (a run longer than one
 * page): the debt delays the next {@link #acquire}. Used by one thread (the background channel's event loop).
 */
final class BandwidthLimiter {
    private static final long BURST_NS = 10_000_000L;

    private final long bytesPerSecond;
    private long tokens;
    private long lastRefillNs;

    /** @param bytesPerSecond the cap; 0 means unlimited */
    BandwidthLimiter(long bytesPerSecond, long nowNs) {
        this.bytesPerSecond = bytesPerSecond;
        this.lastRefillNs = nowNs;
    }

    /** Bytes that may go out at once after a pause: 10 ms at the cap ({@code Long.MAX_VALUE} when unlimited). */
    long burstBytes() {
        return bytesPerSecond == 0 ? Long.MAX_VALUE : Math.max(1, bytesPerSecond * BURST_NS / 1_000_000_000L);
    }

    /** Takes {@code bytes} tokens whether they are there or not: what is missing delays the next acquire. */
    void charge(long bytes) {
        if (bytesPerSecond != 0) {
            tokens -= bytes;
        }
    }

    /**
     * Takes {@code bytes} tokens if available.
     *
     * @return 0 if the bytes may be sent now, else how many nanoseconds to wait before trying again
     */
    long acquire(long bytes, long nowNs) {
        if (bytesPerSecond == 0) {
            return 0;
        }
        long maxTokens = Math.max(bytes, bytesPerSecond * BURST_NS / 1_000_000_000L);
        long elapsedNs = Math.min(nowNs - lastRefillNs, 1_000_000_000L);
        long refill = elapsedNs * bytesPerSecond / 1_000_000_000L;
        if (refill > 0) {
            tokens = Math.min(maxTokens, tokens + refill);
            lastRefillNs = nowNs;
        }
        if (tokens >= bytes) {
            tokens -= bytes;
            return 0;
        }
        return Math.max(1, (bytes - tokens) * 1_000_000_000L / bytesPerSecond);
    }
}
