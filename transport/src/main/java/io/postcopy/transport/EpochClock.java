package io.postcopy.transport;

import java.time.Instant;

/**
 * Wall-clock time in nanoseconds since the epoch, the one clock both ends of a migration can compare: downtime is
 * measured from the source's stop (its reading, sent in SWITCHOVER) to the destination's first vCPU step (its
 * reading). On one host both read the same clock; across hosts the error is the hosts' clock offset.
 */
final class EpochClock {
    private EpochClock() {
    }

    static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
