package io.postcopy.engine.migration;

import io.postcopy.engine.vm.WorkloadCheck;

/**
 * The outcome of one migration, as the reports print it.
 *
 * @param backend       the destination's fault backend ("software" or "uffd")
 * @param memoryBytes   guest RAM size
 * @param pageSize      page size in bytes
 * @param pages         how the pages arrived
 * @param totalTimeMs   source stop to the last page installed, in milliseconds
 * @param downtimeMs    source stop to the destination's first vCPU step, in milliseconds
 * @param faults        faults that caused a fetch on the destination
 * @param uffdFaults    page faults the kernel reported through userfaultfd messages (0 for the software backend)
 * @param integrity     digest comparison of every page, source (frozen) vs destination (installed)
 * @param workloadCheck the workload's own check after migration
 * @param recoveries    network losses after switchover that the migration recovered from (0 normally)
 */
public record MigrationReport(
    String backend,
    long memoryBytes,
    int pageSize,
    PageArrivals pages,
    double totalTimeMs,
    double downtimeMs,
    long faults,
    long uffdFaults,
    PageDigests.IntegrityResult integrity,
    WorkloadCheck workloadCheck,
    int recoveries) {

    /** A migration that never lost its network. */
    public MigrationReport(String backend, long memoryBytes, int pageSize, PageArrivals pages, double totalTimeMs,
                           double downtimeMs, long faults, long uffdFaults, PageDigests.IntegrityResult integrity,
                           WorkloadCheck workloadCheck) {
        this(backend, memoryBytes, pageSize, pages, totalTimeMs, downtimeMs, faults, uffdFaults, integrity,
            workloadCheck, 0);
    }

    /** The userfaultfd fault count in {@code registry} ({@code postcopy.uffd.faults}), 0 where there is none. */
    public static long uffdFaults(io.micrometer.core.instrument.MeterRegistry registry) {
        io.micrometer.core.instrument.Counter counter = registry.find("postcopy.uffd.faults").counter();
        return counter == null ? 0 : (long) counter.count();
    }

    /** True if every page verified, none arrived twice, and the workload's check passed. */
    public boolean passed() {
        return integrity.mismatches() == 0 && pages.duplicate() == 0 && workloadCheck.passed()
            && pages.installed() == memoryBytes / pageSize + pages.discarded()
            && integrity.pagesVerified() == memoryBytes / pageSize;
    }
}
