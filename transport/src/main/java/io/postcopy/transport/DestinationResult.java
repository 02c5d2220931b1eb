package io.postcopy.transport;

import io.postcopy.engine.machine.MachineReport;
import io.postcopy.engine.migration.MigrationReport;

/**
 * What a destination learned from one migration.
 *
 * @param report        pages, timings, integrity and the workload's check
 * @param transportName "epoll" or "nio"
 * @param workload      the workload the migrated VM runs
 * @param vcpus         number of vCPUs migrated
 * @param migration     the mode, precopy rounds, convergence and pages discarded, as the source reported them
 * @param machine       devices verified, generation counter and VM clock before and after
 */
public record DestinationResult(MigrationReport report, String transportName, String workload, int vcpus,
                                MigrationInfo migration, MachineReport machine) {
    /** True if the memory migrated losslessly and every device verified and the guest acknowledged. */
    public boolean passed() {
        return report.passed() && machine.passed();
    }
}
