package io.postcopy.bench.harness;

import java.util.concurrent.locks.LockSupport;

/** Waiting for the next slot of a fixed-rate schedule without burning a core (2 shared cores: spinning distorts). */
public final class Pacing {
    /** Below this much time to wait, spin instead of parking (a park costs about this much anyway). */
    private static final long SPIN_BELOW_NS = 50_000;

    private Pacing() {
    }

    /**
     * Waits until {@code scheduledNs} ({@link System#nanoTime()} time) and returns the next slot: one interval
     * later, or now if the caller fell behind (no catch-up burst; the histogram's correction covers the gap).
     */
    public static long awaitSlot(long scheduledNs, long intervalNs) {
        long now = System.nanoTime();
        while (now < scheduledNs) {
            long remaining = scheduledNs - now;
            if (remaining > SPIN_BELOW_NS) {
                LockSupport.parkNanos(remaining - SPIN_BELOW_NS / 2);
            } else {
                Thread.onSpinWait();
            }
            now = System.nanoTime();
        }
        return Math.max(scheduledNs + intervalNs, now);
    }
}
