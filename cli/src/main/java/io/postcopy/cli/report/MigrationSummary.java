package io.postcopy.cli.report;

import io.postcopy.cli.metrics.FaultLatencyRecorder.LatencySummary;
import io.postcopy.engine.machine.DeviceVerification;
import io.postcopy.engine.machine.MachineReport;
import io.postcopy.engine.migration.MigrationMode;
import io.postcopy.engine.migration.MigrationReport;
import io.postcopy.transport.MigrationInfo;

import java.util.List;

/**
 * The report of one migration as {@code dest} and {@code demo} print it; its JSON form is the record's
 * components, in this order and with these names (tools parse it, keep it stable).
 *
 * @param result         {@code PASS} iff {@link MigrationReport#passed()}, else {@code FAIL}
 * @param backend        the destination's fault backend ("software" or "uffd")
 * @param mode           "postcopy"
 * @param transport      "epoll", "nio", or "in-process" for a migration without network
 * @param memoryBytes    guest RAM size
 * @param pageSize       page size in bytes
 * @param vcpus          number of vCPUs
 * @param workload       the workload's name
 * @param pages          how the pages arrived, each counted once
 * @param totalTimeMs    source stop to the last page installed
 * @param downtimeMs     source stop to the destination's first vCPU step
 * @param faults         faults that caused a fetch on the destination
 * @param uffdFaults     faults read from userfaultfd messages (0 for the software backend)
 * @param faultLatencyUs fault-to-wake-up latency percentiles, in microseconds
 * @param integrity      digest comparison of every page
 * @param workloadCheck  the workload's own check after migration
 * @param precopyRounds  precopy rounds before switchover (0 in post-copy)
 * @param precopyConverged precopy: whether the rest fitted the downtime budget (true in other modes)
 * @param pagesDiscarded pages precopy had sent and the VM wrote again, discarded at switchover
 * @param generation     the generation counter before and after, and how many guest watchers acknowledged
 *                       (null when no machine migrated: the in-process demo)
 * @param vmclock        the VM clock page's disruption marker before and after (null likewise)
 * @param devices        each device and whether its migrated state verified (empty likewise)
 * @param recoveries     network losses after switchover that the migration recovered from (0 normally)
 */
public record MigrationSummary(
    String result,
    String backend,
    String mode,
    String transport,
    long memoryBytes,
    int pageSize,
    int vcpus,
    String workload,
    Pages pages,
    double totalTimeMs,
    double downtimeMs,
    long faults,
    long uffdFaults,
    Latency faultLatencyUs,
    Integrity integrity,
    WorkloadCheck workloadCheck,
    int precopyRounds,
    boolean precopyConverged,
    long pagesDiscarded,
    MachineReport.GenerationReport generation,
    MachineReport.VmClockReport vmclock,
    List<DeviceVerification> devices,
    int recoveries) {

    /** The value of {@code result} for a lossless migration. */
    public static final String PASS = "PASS";
    /** The value of {@code result} otherwise. */
    public static final String FAIL = "FAIL";

    /**
     * Builds the summary of a finished migration.
     *
     * @param report    the engine's report
     * @param transport the transport's name
     * @param workload  the workload's name
     * @param vcpus     number of vCPUs
     * @param latency   the destination's fault latencies
     * @param migration the mode and precopy figures the source reported, or null for an in-process post-copy run
     * @param machine   devices, generation and clock, or null for an in-process run (memory only)
     */
    public static MigrationSummary of(MigrationReport report, String transport, String workload, int vcpus,
                                      LatencySummary latency, MigrationInfo migration, MachineReport machine) {
        MigrationInfo info = migration != null ? migration : new MigrationInfo(MigrationMode.POSTCOPY, 0, true, 0);
        boolean passed = report.passed() && (machine == null || machine.passed());
        return new MigrationSummary(passed ? PASS : FAIL, report.backend(), info.mode().cliName(), transport,
            report.memoryBytes(), report.pageSize(), vcpus, workload,
            new Pages(report.pages().demand(), report.pages().background(), report.pages().zero(),
                report.pages().duplicate(), report.pages().precopy(), report.pages().precopyResent()),
            round3(report.totalTimeMs()), round3(report.downtimeMs()), report.faults(), report.uffdFaults(),
            new Latency(latency.p50(), latency.p99(), latency.p999(), latency.max()),
            new Integrity(report.integrity().pagesVerified(), report.integrity().mismatches(),
                report.integrity().firstMismatchPage()),
            new WorkloadCheck(report.workloadCheck().itemsChecked(), report.workloadCheck().violations(),
                report.workloadCheck().firstViolation()),
            info.precopyRounds(), info.converged(), info.pagesDiscarded(),
            machine == null ? null : machine.generation(), machine == null ? null : machine.vmclock(),
            machine == null ? List.of() : machine.devices(), report.recoveries());
    }

    private static double round3(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

    /** True if the result is {@code PASS}. */
    public boolean passed() {
        return PASS.equals(result);
    }

    /** Pages of guest RAM. */
    public long pageCount() {
        return memoryBytes / pageSize;
    }

    /**
     * How the pages arrived; {@code demand + background + zero + precopy} is the number of pages installed (the
     * page count, plus one for each page discarded at switchover and sent again).
     *
     * @param demand        non-zero pages fetched for a fault
     * @param background    non-zero pages pushed by the post-copy background stream
     * @param zero          pages that arrived as a zero encoding
     * @param duplicate     arrivals of a page that was already present
     * @param precopy       non-zero pages first installed by a precopy round
     * @param precopyResent precopy re-sends of pages the VM had written since their previous round
     */
    public record Pages(long demand, long background, long zero, long duplicate, long precopy, long precopyResent) {
    }

    /**
     * Latency percentiles in microseconds.
     *
     * @param p50  median
     * @param p99  99th percentile
     * @param p999 99.9th percentile
     * @param max  the largest
     */
    public record Latency(double p50, double p99, double p999, double max) {
    }

    /**
     * Page digest comparison.
     *
     * @param pagesVerified     pages whose source and destination digests agree
     * @param mismatches        pages that differ or are missing
     * @param firstMismatchPage the lowest such page, or -1
     */
    public record Integrity(long pagesVerified, long mismatches, long firstMismatchPage) {
    }

    /**
     * The workload's self-check.
     *
     * @param itemsChecked   cells or records examined
     * @param violations     broken invariants
     * @param firstViolation the first one described, or empty
     */
    public record WorkloadCheck(long itemsChecked, long violations, String firstViolation) {
    }
}
