package io.postcopy.bench.harness;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.FaultBackends;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.transport.DestinationNode;
import io.postcopy.transport.DestinationOptions;
import io.postcopy.transport.DestinationResult;
import io.postcopy.transport.MigrationProgress;
import io.postcopy.transport.SourceNode;
import io.postcopy.transport.SourceOptions;
import io.postcopy.transport.SourceResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a {@link MigrationScenario} through the real transport: a {@link SourceNode} and a {@link DestinationNode}
 * in this JVM over loopback, the destination's vCPUs paced by a {@link PacedBackend}. Called by one thread.
 */
public final class MigrationHarness {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationHarness.class);
    private static final long SEED = 42;

    private MigrationHarness() {
    }

    /**
     * Migrates once and returns what was measured.
     *
     * @throws io.postcopy.engine.error.PostcopyException if the migration failed (a FAIL result is returned, not
     *     thrown)
     */
    public static MigrationRun run(MigrationScenario scenario) throws InterruptedException {
        long start = System.nanoTime();
        SourceOptions sourceOptions = new SourceOptions("127.0.0.1", 0, scenario.memoryBytes(),
            MemoryGeometry.SMALL_PAGE_SIZE, scenario.vcpus(), scenario.workload(), scenario.bandwidthBytesPerSecond(),
            SEED, scenario.mode(), MigrationScenario.HYBRID_ROUNDS, scenario.maxPrecopyRounds(),
            MigrationScenario.DOWNTIME_BUDGET_MS);
        try (SourceNode source = SourceNode.start(sourceOptions, new SimpleMeterRegistry())) {
            AtomicReference<PacedBackend> paced = new AtomicReference<>();
            DestinationOptions destinationOptions = new DestinationOptions("127.0.0.1", source.localAddress().getPort(),
                context -> {
                    PacedBackend backend = new PacedBackend(FaultBackends.create(scenario.backend(), context),
                        scenario.touchIntervalNs());
                    paced.set(backend);
                    return backend;
                }, scenario.runAfterMs(), scenario.timeoutMs(), scenario.prefetchPages());
            long migrateStart = System.nanoTime();
            DestinationResult result = DestinationNode.migrate(destinationOptions, new SimpleMeterRegistry(),
                FaultListener.NONE, MigrationProgress.NONE);
            SourceResult sourceResult = source.awaitCompletion(scenario.timeoutMs());
            PacedBackend.GuestObservation seen = paced.get().observation();
            MigrationRun run = new MigrationRun(scenario, result.report().backend(), result.transportName(),
                result.report(), seen.correctedNs(), seen.uncorrectedNs(), seen.touches(), seen.distinctPages(),
                sourceResult.requestsForSentPages(), (System.nanoTime() - start) / 1e6, result.passed(),
                result.migration(), paced.get().lastCompleteNanos() == 0 ? Double.NaN
                    : (paced.get().lastCompleteNanos() - migrateStart) / 1e6);
            LOG.info("{} {} {} {} MiB: {} faults, p50 {} us, p99 {} us, downtime {} ms, total {} ms, {}",
                scenario.name(), scenario.mode().cliName(), run.backend(), scenario.memoryBytes() >> 20,
                seen.correctedNs().getTotalCount(), seen.correctedNs().getValueAtPercentile(50) / 1000.0,
                seen.correctedNs().getValueAtPercentile(99) / 1000.0,
                String.format("%.2f", result.report().downtimeMs()),
                String.format("%.1f", result.report().totalTimeMs()), result.passed() ? "PASS" : "FAIL");
            return run;
        }
    }
}
