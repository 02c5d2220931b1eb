package io.postcopy.bench;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How much {@code postcopy bench} measures: the sizes, counts and durations of each part. {@link #quick()} stays
 * under 3 minutes on 2 cores, {@link #full()} under 15; {@link #smoke()} is for tests (seconds).
 *
 * @param name                     "quick", "full" or "smoke"
 * @param sections                 which parts run ({@link #SECTIONS})
 * @param roundTrips               measured back-to-back TCP round trips per baseline
 * @param pacedRoundTrips          measured paced plain-socket round trips
 * @param bulkBytes                bytes per raw TCP bulk transfer
 * @param bulkRepeats              bulk transfers (the median counts)
 * @param vcpus                    destination vCPUs of the fault harness
 * @param touchesPerSecondPerVcpu  the paced guest's touch rate
 * @param idleMemoryBytes          guest size of the idle fault-latency runs
 * @param idleBandwidthBytesPerSecond the background cap of the idle runs
 * @param idleRuns                 idle runs per backend
 * @param loadedSizesBytes         guest sizes of the uncapped runs (loaded faults, downtime, throughput)
 * @param hotSetMemoryBytes        guest size of the hot-set run
 * @param uffdPages                pages per round of the Java vs C handler comparison
 * @param uffdRounds               rounds per side
 * @param jmhWarmupIterations      JMH warm-up iterations
 * @param jmhIterations            JMH measurement iterations
 * @param jmhIterationMs           JMH iteration time
 * @param migrationTimeoutMs       bound on each migration
 * @param modeMemoryBytes          guest size of the postcopy / hybrid / precopy comparison
 * @param maxPrecopyRounds         precopy's round limit in that comparison
 */
public record BenchConfig(String name, Set<String> sections, int roundTrips, int pacedRoundTrips, long bulkBytes,
                          int bulkRepeats, int vcpus, long touchesPerSecondPerVcpu, long idleMemoryBytes,
                          long idleBandwidthBytesPerSecond, int idleRuns, List<Long> loadedSizesBytes,
                          long hotSetMemoryBytes, int uffdPages, int uffdRounds, int jmhWarmupIterations,
                          int jmhIterations, long jmhIterationMs, long migrationTimeoutMs, long modeMemoryBytes,
                          int maxPrecopyRounds) {
    /** Raw TCP round trips and bulk throughput. */
    public static final String TCP = "tcp";
    /** Idle and loaded fault latency, downtime, background throughput (the migrations). */
    public static final String FAULTS = "faults";
    /** The hot-set run (network faults as a share of the working set). */
    public static final String HOTSET = "hotset";
    /** postcopy vs hybrid vs precopy on a write-heavy workload. */
    public static final String MODES = "modes";
    /** userfaultfd Java vs C handler. */
    public static final String UFFD = "uffd";
    /** JMH present-page reads. */
    public static final String JMH = "jmh";
    /** Every section, in the order they run. */
    public static final List<String> SECTIONS = List.of(TCP, FAULTS, HOTSET, MODES, UFFD, JMH);

    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    /** The {@code --quick} suite. */
    public static BenchConfig quick() {
        return new BenchConfig("quick", Set.copyOf(SECTIONS), 20_000, 4_000, GIB, 3, 1, 2_000, 32 * MIB, 4 * MIB,
            2, List.of(256 * MIB, GIB), 256 * MIB, 20_000, 3, 3, 5, 500, 180_000, 128 * MIB, 10);
    }

    /** The full suite. */
    public static BenchConfig full() {
        return new BenchConfig("full", Set.copyOf(SECTIONS), 100_000, 10_000, 2 * GIB, 5, 1, 2_000, 64 * MIB,
            4 * MIB, 3, List.of(256 * MIB, GIB, 4 * GIB), GIB, 50_000, 5, 3, 5, 1_000, 300_000, 256 * MIB, 30);
    }

    /** A tiny configuration for tests: seconds, not minutes; no JMH, no hot-set run, no userfaultfd comparison. */
    public static BenchConfig smoke() {
        return new BenchConfig("smoke", Set.of(TCP, FAULTS, MODES), 2_000, 200, 64 * MIB, 1, 1, 2_000, 4 * MIB,
            16 * MIB, 1, List.of(8 * MIB), 8 * MIB, 2_000, 1, 1, 1, 100, 60_000, 8 * MIB, 3);
    }

    /** This configuration restricted to {@code only}. */
    public BenchConfig withSections(Set<String> only) {
        return new BenchConfig(name, Set.copyOf(only), roundTrips, pacedRoundTrips, bulkBytes, bulkRepeats, vcpus,
            touchesPerSecondPerVcpu, idleMemoryBytes, idleBandwidthBytesPerSecond, idleRuns, loadedSizesBytes,
            hotSetMemoryBytes, uffdPages, uffdRounds, jmhWarmupIterations, jmhIterations, jmhIterationMs,
            migrationTimeoutMs, modeMemoryBytes, maxPrecopyRounds);
    }

    /** True if {@code section} runs. */
    public boolean runs(String section) {
        return sections.contains(section);
    }

    /** Nanoseconds between two touches of one vCPU. */
    public long touchIntervalNs() {
        return 1_000_000_000L / touchesPerSecondPerVcpu;
    }

    /** A size as the report names it: "256m", "1g", "4g". */
    public static String sizeLabel(long bytes) {
        if (bytes % GIB == 0) {
            return bytes / GIB + "g";
        }
        if (bytes % MIB == 0) {
            return bytes / MIB + "m";
        }
        return String.format(Locale.ROOT, "%db", bytes);
    }
}
