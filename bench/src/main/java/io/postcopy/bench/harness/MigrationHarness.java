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

/**
 * Runs a {@link MigrationScenario} through the real transport: a {@link SourceNode} and a {@link DestinationNode}
 * in this JVM over loopback, the destination's vCPUs paced by a {@link PacedGuest}. Called by one thread.
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
            PacedGuest paced = new PacedGuest(scenario.touchIntervalNs());
            DestinationOptions destinationOptions = new DestinationOptions("127.0.0.1", source.localAddress().getPort(),
                context -> FaultBackends.create(scenario.backend(), context), scenario.runAfterMs(),
                scenario.timeoutMs(), scenario.prefetchPages()).withVcpuAccessorDecorator(paced);
            long migrateStart = System.nanoTime();
            DestinationResult result = DestinationNode.migrate(destinationOptions, new SimpleMeterRegistry(),
                FaultListener.NONE, MigrationProgress.NONE);
            SourceResult sourceResult = source.awaitCompletion(scenario.timeoutMs());
            PacedGuest.GuestObservation seen = paced.observation();
            long lastCompleteNanos = paced.lastCompleteNanos();
            MigrationRun run = new MigrationRun(scenario, result.report().backend(), result.transportName(),
                result.report(), seen.correctedNs(), seen.uncorrectedNs(), seen.touches(), seen.distinctPages(),
                sourceResult.requestsForSentPages(), (System.nanoTime() - start) / 1e6, result.passed(),
                result.migration(), lastCompleteNanos == 0 ? Double.NaN : (lastCompleteNanos - migrateStart) / 1e6);
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
