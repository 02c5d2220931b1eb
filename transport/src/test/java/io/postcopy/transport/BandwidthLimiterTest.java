package io.postcopy.transport;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BandwidthLimiterTest {
    private static final long MS = 1_000_000L;

    @Test
    void shouldDelayNextAcquireByTheDebtWhenRunIsChargedBeyondTheTokens() {
        BandwidthLimiter limiter = new BandwidthLimiter(1_000_000, 0); // 1 MB/s: 1 byte per microsecond
        assertEquals(10_000, limiter.burstBytes(), "10 ms at the cap");
        assertEquals(0, limiter.acquire(4_000, 10 * MS), "10 ms of tokens saved up");
        limiter.charge(16_000); // a run of 20 000 bytes in all: 10 000 bytes of debt now
        assertEquals(14 * MS, limiter.acquire(4_000, 10 * MS), "the debt and the next 4000 bytes, at 1 byte/us");
        assertEquals(0, limiter.acquire(4_000, 24 * MS));
    }

    @Test
    void shouldNeverWaitNorBoundRunsWhenUnlimited() {
        BandwidthLimiter limiter = new BandwidthLimiter(0, 0);
        limiter.charge(1L << 40);
        assertEquals(0, limiter.acquire(1L << 30, 0));
        assertEquals(Long.MAX_VALUE, limiter.burstBytes());
    }
}
