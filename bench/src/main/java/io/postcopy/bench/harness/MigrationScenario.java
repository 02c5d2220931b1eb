package io.postcopy.bench.harness;

import io.postcopy.engine.backend.BackendChoice;
import io.postcopy.engine.migration.MigrationMode;

import java.util.Objects;

/**
 * One migration the harness runs: a source and a destination in this JVM over loopback, with a paced guest.
 *
 * @param name                     what the run is for ("idle", "loaded", "hotset", ...)
 * @param backend                  the destination's fault backend
 * @param memoryBytes              guest RAM size
 * @param workload                 the guest's workload ({@code random}, {@code hotset}, ...)
 * @param vcpus                    number of vCPUs
 * @param touchesPerSecondPerVcpu  how often each destination vCPU touches a page
 * @param bandwidthBytesPerSecond  the source's cap on the background stream, 0 for none (saturate the link)
 * @param runAfterMs               how long the VM runs after the last page arrived
 * @param timeoutMs                bound on the whole migration
 * @param mode                     postcopy, hybrid or precopy
 * @param maxPrecopyRounds         precopy: rounds before it stops anyway (the source's setting)
 * @param prefetchPages            the destination's prefetch around faults: pages after each fault, 0 = off
 */
public record MigrationScenario(String name, BackendChoice backend, long memoryBytes, String workload, int vcpus,
                                long touchesPerSecondPerVcpu, long bandwidthBytesPerSecond, long runAfterMs,
                                long timeoutMs, MigrationMode mode, int maxPrecopyRounds, int prefetchPages) {
    /** Hybrid: precopy rounds before post-copy (the source's default). */
    public static final int HYBRID_ROUNDS = 2;
    /** Precopy: the downtime budget it converges to (the source's default). */
    public static final long DOWNTIME_BUDGET_MS = 50;
    /** Prefetch around faults: the destination's default (dest --prefetch). */
    public static final int DEFAULT_PREFETCH_PAGES = 8;
    /** Precopy: the source's default round limit. */
    public static final int MAX_PRECOPY_ROUNDS = 30;

    /** A post-copy migration. */
    public MigrationScenario(String name, BackendChoice backend, long memoryBytes, String workload, int vcpus,
                             long touchesPerSecondPerVcpu, long bandwidthBytesPerSecond, long runAfterMs,
                             long timeoutMs) {
        this(name, backend, memoryBytes, workload, vcpus, touchesPerSecondPerVcpu, bandwidthBytesPerSecond,
            runAfterMs, timeoutMs, MigrationMode.POSTCOPY, MAX_PRECOPY_ROUNDS, DEFAULT_PREFETCH_PAGES);
    }

    /** The same scenario with another prefetch around faults (0 = off). */
    public MigrationScenario withPrefetchPages(int pages) {
        return new MigrationScenario(name, backend, memoryBytes, workload, vcpus, touchesPerSecondPerVcpu,
            bandwidthBytesPerSecond, runAfterMs, timeoutMs, mode, maxPrecopyRounds, pages);
    }

    /** Validates the ranges. */
    public MigrationScenario {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(workload, "workload");
        if (touchesPerSecondPerVcpu < 1 || touchesPerSecondPerVcpu > 1_000_000) {
            throw new IllegalArgumentException("touchesPerSecondPerVcpu=" + touchesPerSecondPerVcpu
                + " (expected: 1..1000000)");
        }
        if (vcpus < 1 || bandwidthBytesPerSecond < 0 || runAfterMs < 0 || timeoutMs <= 0) {
            throw new IllegalArgumentException("vcpus=" + vcpus + ", bandwidthBytesPerSecond="
                + bandwidthBytesPerSecond + ", runAfterMs=" + runAfterMs + ", timeoutMs=" + timeoutMs
                + " (expected: vcpus >= 1, bandwidth >= 0, runAfterMs >= 0, timeoutMs > 0)");
        }
    }

    /** Nanoseconds between two touches of one vCPU. */
    public long touchIntervalNs() {
        return 1_000_000_000L / touchesPerSecondPerVcpu;
    }
}
