package io.postcopy.bench.harness;

import io.postcopy.engine.migration.MigrationReport;
import io.postcopy.transport.MigrationInfo;
import org.HdrHistogram.Histogram;

/**
 * The outcome of one {@link MigrationScenario}.
 *
 * @param scenario         what ran
 * @param backend          the backend that ran ("software" or "uffd")
 * @param transport        "epoll" or "nio"
 * @param report           the destination's report (pages, downtime, total time, integrity, workload check)
 * @param faultLatencyNs   fault latencies the paced vCPUs saw, corrected for coordinated omission
 * @param uncorrectedNs    the same, as measured
 * @param touches          paced page touches
 * @param workingSetPages  distinct pages the destination's vCPUs touched during the run
 * @param requestsForSentPages demand requests the source answered with a page already sent
 * @param wallTimeMs       the whole run, start of the source to its end
 * @param passed           memory, devices and the guest all verified ({@code DestinationResult.passed()})
 * @param migration        mode, precopy rounds, convergence, pages discarded
 * @param migrationTimeMs  from the destination's first connection attempt to the last page installed (all modes,
 *                         precopy rounds included), or NaN if it could not be told
 */
public record MigrationRun(MigrationScenario scenario, String backend, String transport, MigrationReport report,
                           Histogram faultLatencyNs, Histogram uncorrectedNs, long touches, long workingSetPages,
                           long requestsForSentPages, double wallTimeMs, boolean passed, MigrationInfo migration,
                           double migrationTimeMs) {
    /** Pages on the wire: every install, every page a precopy round sent again, every duplicate. */
    public long pagesSent() {
        return report.pages().installed() + report.pages().precopyResent() + report.pages().duplicate();
    }

    /** Bytes of non-zero pages the background stream carried, per second of the migration (stop to last page). */
    public double backgroundBytesPerSecond() {
        return report.pages().background() * (double) report.pageSize() / (report.totalTimeMs() / 1000.0);
    }

    /** Non-zero pages of either kind, per second of the migration: what the link carried. */
    public double payloadBytesPerSecond() {
        return (report.pages().background() + report.pages().demand()) * (double) report.pageSize()
            / (report.totalTimeMs() / 1000.0);
    }
}
