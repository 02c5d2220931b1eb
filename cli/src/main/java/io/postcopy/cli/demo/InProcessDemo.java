package io.postcopy.cli.demo;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.cli.metrics.FaultLatencyRecorder;
import io.postcopy.cli.report.MigrationSummary;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.migration.InProcessMigration;
import io.postcopy.engine.migration.MigrationReport;
import io.postcopy.transport.MigrationProgress;

import java.util.function.Function;

/**
 * {@code postcopy demo --in-process}: the same migration in one JVM with no network
 * ({@link InProcessMigration}), its progress read from the engine's {@code postcopy.pages.present} gauge.
 */
public final class InProcessDemo {
    /** The transport name the report shows. */
    public static final String TRANSPORT = "in-process";
    private static final long POLL_INTERVAL_MS = 100;

    private InProcessDemo() {
    }

    /**
     * Runs the migration on the calling thread; a daemon thread reports progress about every 100 ms.
     *
     * @param settings       what to migrate
     * @param backendFactory the destination's backend
     * @param progress       observes pages installed
     */
    public static MigrationSummary run(InProcessMigration.Settings settings,
                                       Function<FaultEngineContext, FaultBackend> backendFactory,
                                       MigrationProgress progress) throws InterruptedException {
        MeterRegistry registry = new SimpleMeterRegistry();
        FaultLatencyRecorder latency = new FaultLatencyRecorder();
        long pageCount = settings.memoryBytes() / settings.pageSize();
        Thread poller = Thread.ofPlatform().name("demo-progress").daemon().start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Gauge present = registry.find("postcopy.pages.present").gauge();
                    if (present != null) {
                        progress.onProgress((long) present.value(), pageCount);
                    }
                    Thread.sleep(POLL_INTERVAL_MS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        MigrationReport report;
        try {
            report = new InProcessMigration(settings, backendFactory, registry, latency).run();
        } finally {
            poller.interrupt();
            poller.join(1000);
        }
        progress.onProgress(report.pages().installed(), pageCount);
        return MigrationSummary.of(report, TRANSPORT, settings.workload(), settings.vcpus(), latency.summary(), null,
            null);
    }
}
