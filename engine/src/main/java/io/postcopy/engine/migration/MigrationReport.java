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
 * @param integrity     digest comparison of every page, source (frozen) vs destination (installed)
 * @param workloadCheck the workload's own check after migration
 */
public record MigrationReport(
    String backend,
    long memoryBytes,
    int pageSize,
    PageArrivals pages,
    double totalTimeMs,
    double downtimeMs,
    long faults,
    PageDigests.IntegrityResult integrity,
    WorkloadCheck workloadCheck) {

    /** True if every page verified, none arrived twice, and the workload's check passed. */
    public boolean passed() {
        return integrity.mismatches() == 0 && pages.duplicate() == 0 && workloadCheck.passed()
            && integrity.pagesVerified() == memoryBytes / pageSize;
    }
}
