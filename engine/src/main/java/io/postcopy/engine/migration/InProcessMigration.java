package io.postcopy.engine.migration;

import io.micrometer.core.instrument.MeterRegistry;
import io.postcopy.engine.backend.DirectAccessor;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.vm.SimulatedVm;
import io.postcopy.engine.vm.VcpuState;
import io.postcopy.engine.vm.Workload;
import io.postcopy.engine.vm.WorkloadCheck;
import io.postcopy.engine.vm.Workloads;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Post-copy migration of a running simulated VM inside one process, with no network: the source VM runs its
 * workload, stops; the destination VM resumes at once on empty memory, its faults are served from the source's
 * frozen memory and a background thread pushes every other page; then both sides' page digests and the
 * workload's own check prove nothing was lost.
 *
 * <p>Used by the engine's tests and by {@code postcopy demo --in-process}; the two-JVM demo runs the same steps
 * with the transport in the middle.
 */
public final class InProcessMigration {
    private static final int BACKGROUND_BATCH = 64;

    private final Settings settings;
    private final Function<FaultEngineContext, FaultBackend> backendFactory;
    private final MeterRegistry registry;
    private final FaultListener listener;

    /**
     * @param settings       what to migrate
     * @param backendFactory creates the destination's backend
     * @param registry       where the destination engine's meters go
     * @param listener       observes the destination's resolved faults
     */
    public InProcessMigration(Settings settings, Function<FaultEngineContext, FaultBackend> backendFactory,
                              MeterRegistry registry, FaultListener listener) {
        this.settings = settings;
        this.backendFactory = backendFactory;
        this.registry = registry;
        this.listener = listener;
    }

    /**
     * Runs the whole migration.
     *
     * @return the report; {@link MigrationReport#passed()} says whether it was lossless
     * @throws PostcopyException if a step does not finish within its deadline
     */
    public MigrationReport run() throws InterruptedException {
        MemoryGeometry geometry = new MemoryGeometry(settings.memoryBytes(), settings.pageSize());
        try (GuestMemory sourceMemory = GuestMemory.allocate(geometry)) {
            Workload sourceWorkload = Workloads.create(settings.workload());
            DirectAccessor sourceAccessor = new DirectAccessor(sourceMemory);
            sourceWorkload.initialize(sourceAccessor, settings.vcpus());
            List<VcpuState> states;
            long stopNanos;
            try (SimulatedVm source = new SimulatedVm("source", vcpu -> sourceAccessor, sourceWorkload,
                SimulatedVm.initialStates(settings.vcpus(), settings.seed()), System::nanoTime)) {
                source.start();
                Thread.sleep(settings.sourceRunMs());
                stopNanos = source.pause(TimeUnit.SECONDS.toNanos(10));
                states = source.vcpuStates();
                failIfVcpuFailed("source", source);
            }
            return migrate(geometry, sourceMemory, states, stopNanos);
        }
    }

    private MigrationReport migrate(MemoryGeometry geometry, GuestMemory sourceMemory, List<VcpuState> states,
                                    long stopNanos) throws InterruptedException {
        SourcePageServer server = new SourcePageServer(sourceMemory);
        FaultEngineContext context = FaultEngineContext.of(geometry, settings.vcpus(), 4096)
            .withRegistry(registry).withListener(listener);
        try (FaultBackend backend = backendFactory.apply(context)) {
            DestinationPageSink sink = new DestinationPageSink(backend);
            InProcessPageLink link = new InProcessPageLink(server, sink);
            backend.engine().attachSource(link);
            Workload workload = Workloads.create(settings.workload());
            try (SimulatedVm destination = new SimulatedVm("dest", backend::vcpuAccessor, workload, states,
                System::nanoTime)) {
                destination.start();
                Thread pusher = Thread.ofPlatform().name("background-push").daemon().start(() -> {
                    while (link.pushBackground(BACKGROUND_BATCH) > 0) {
                        Thread.onSpinWait();
                    }
                });
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.deadlineSeconds());
                awaitCondition(() -> backend.engine().isComplete() || destination.failure().isPresent(), deadline,
                    "every page installed");
                long completeNanos = System.nanoTime();
                pusher.join(TimeUnit.SECONDS.toMillis(10));
                awaitCondition(() -> destination.firstStepNanos() != 0, deadline, "the destination's first step");
                Thread.sleep(settings.destinationRunMs());
                destination.pause(TimeUnit.SECONDS.toNanos(10));
                failIfVcpuFailed("destination", destination);
                WorkloadCheck check = workload.verify(backend.hostAccessor(), settings.vcpus());
                double downtimeMs = (destination.firstStepNanos() - stopNanos) / 1e6;
                return new MigrationReport(backend.kind().cliName(), geometry.lengthInBytes(), geometry.pageSize(),
                    sink.arrivals(), (completeNanos - stopNanos) / 1e6, downtimeMs,
                    (long) registry.counter("postcopy.faults").count(), MigrationReport.uffdFaults(registry),
                    sink.digests().compareWith(server.digests()), check);
            }
        }
    }

    private static void failIfVcpuFailed(String side, SimulatedVm vm) {
        vm.failure().ifPresent(f -> {
            throw new PostcopyException(ErrorCode.INTERNAL, side + " vCPU failed: " + f, f);
        });
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition, long deadlineNanos, String what)
        throws InterruptedException {
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadlineNanos) {
                throw new PostcopyException(ErrorCode.TIMEOUT, "timed out waiting for " + what);
            }
            Thread.sleep(1);
        }
    }

    /**
     * What to migrate.
     *
     * @param memoryBytes      guest RAM size
     * @param pageSize         4096 or 2097152
     * @param vcpus            number of vCPUs
     * @param workload         workload name ({@link Workloads#NAMES})
     * @param sourceRunMs      how long the source runs before it stops
     * @param destinationRunMs how long the destination keeps running after the last page arrived
     * @param deadlineSeconds  upper bound on the migration
     * @param seed             seeds the vCPUs' random numbers
     */
    public record Settings(long memoryBytes, int pageSize, int vcpus, String workload, long sourceRunMs,
                           long destinationRunMs, long deadlineSeconds, long seed) {
        /** Validates the ranges. */
        public Settings {
            new MemoryGeometry(memoryBytes, pageSize);
            Workloads.create(workload);
            if (vcpus < 1 || vcpus > 256) {
                throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "vcpus=" + vcpus + " (expected: 1..256)");
            }
            if (sourceRunMs < 0 || destinationRunMs < 0 || deadlineSeconds <= 0) {
                throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "durations must be positive");
            }
        }
    }
}
