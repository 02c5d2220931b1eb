package io.postcopy.transport;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.RegionAccessor;
import io.postcopy.engine.machine.DeviceVerification;
import io.postcopy.engine.machine.GuestAgent;
import io.postcopy.engine.machine.IdentityChange;
import io.postcopy.engine.machine.MachineDevices;
import io.postcopy.engine.machine.MachineIdentity;
import io.postcopy.engine.machine.MachineReport;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.migration.DestinationPageSink;
import io.postcopy.engine.migration.MigrationReport;
import io.postcopy.engine.vm.SimulatedVm;
import io.postcopy.engine.vm.Workload;
import io.postcopy.engine.vm.WorkloadCheck;
import io.postcopy.engine.vm.Workloads;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.Feature;
import io.postcopy.protocol.Features;
import io.postcopy.protocol.NegotiatedSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A migration destination: connects to a source, receives the VM's resume state, resumes the VM at once on empty
 * memory whose faults are served over the urgent connection, installs background pages as they stream in, and when
 * every page is present checks the digests and the workload. Every wait has a deadline within the options'
 * timeout; a source that vanishes, stalls or sends garbage fails the migration with a clear error.
 */
public final class DestinationNode {
    private static final Logger LOG = LoggerFactory.getLogger(DestinationNode.class);
    /** Features this destination uses, and therefore asks for. */
    static final long REQUESTED_FEATURES = Features.of(Feature.ZERO_PAGE_ENCODING, Feature.URGENT_CHANNEL,
        Feature.PAGE_DIGESTS, Feature.DEVICE_STATE, Feature.DISCARD, Feature.PRECOPY, Feature.PAGE_RUNS);
    /** Features this destination can do without: asked for again without them if a source refuses them. */
    static final long OPTIONAL_FEATURES = Features.of(Feature.PAGE_RUNS);
    private static final int ASYNC_QUEUE_CAPACITY = 4096;

    private final DestinationOptions options;
    private final MeterRegistry registry;
    private final FaultListener listener;
    private final MigrationProgress progress;
    private final long deadlineNanos;
    private final long requestedFeatures;
    private final long sessionId = new SecureRandom().nextLong() | 1L;
    private final DestinationSession session = new DestinationSession();
    private final NettyTransport transport = NettyTransport.best();

    private DestinationNode(DestinationOptions options, MeterRegistry registry, FaultListener listener,
                            MigrationProgress progress, long requestedFeatures, long deadlineNanos) {
        this.options = options;
        this.registry = registry;
        this.listener = listener;
        this.progress = progress;
        this.requestedFeatures = requestedFeatures;
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Connects, migrates the VM here, runs it {@code runAfterMs}, verifies it, and returns the result.
     *
     * @param faultListener observes every resolved fault (for latency histograms)
     * @param progress      observes pages installed, about every 100 ms
     * @throws PostcopyException naming what failed: the connection, the handshake, a deadline, the peer's error
     */
    public static DestinationResult migrate(DestinationOptions options, MeterRegistry registry,
                                            FaultListener faultListener, MigrationProgress progress)
        throws InterruptedException {
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.timeoutMs());
        try {
            return new DestinationNode(options, registry, faultListener, progress, REQUESTED_FEATURES, deadlineNanos)
                .run();
        } catch (FeaturesRefused refused) {
            // An older source does not know an optional bit (PROTOCOL.md section 6): ask again without them.
            LOG.info("the source refused features {} as unknown; connecting again without {}",
                Features.toString(REQUESTED_FEATURES), Features.toString(OPTIONAL_FEATURES));
            return new DestinationNode(options, registry, faultListener, progress,
                REQUESTED_FEATURES & ~OPTIONAL_FEATURES, deadlineNanos).run();
        }
    }

    /** The CONTROL handshake was refused with UNKNOWN_FEATURE while optional features were asked for. */
    private static final class FeaturesRefused extends PostcopyException {
        private static final long serialVersionUID = 1L;

        FeaturesRefused(PostcopyException cause) {
            super(cause.code(), cause.getMessage(), cause);
        }
    }

    private DestinationResult run() throws InterruptedException {
        EventLoopGroup group = transport.newGroup(2, "dest-io");
        long requested = options.recoveryTimeoutMs() > 0 ? requestedFeatures | Feature.RECOVERY.mask()
            : requestedFeatures;
        DestinationConnector connector = new DestinationConnector(options, group, transport, session, sessionId,
            requested);
        try {
            DestinationConnector.Connection controlConnection = connectControl(connector);
            NegotiatedSession control = controlConnection.terms();
            VmDescription description = await(session.descriptionReady(), "the source's VM description");
            MemoryGeometry geometry = new MemoryGeometry(control.pageCount() * control.pageSizeInBytes(),
                control.pageSizeInBytes());
            FaultEngineContext context = FaultEngineContext.of(geometry, description.vcpus(), ASYNC_QUEUE_CAPACITY)
                .withRegistry(registry).withListener(listener)
                .withFaultTimeoutNs(TimeUnit.MILLISECONDS.toNanos(options.timeoutMs()))
                .withPrefetchPages(options.prefetchPages());
            MachineDevices.Settings deviceSettings = MachineDevices.Settings.defaults(geometry);
            MachineIdentity identity = MachineIdentity.resumeFrom(description.generation(),
                description.disruptionMarker());
            try (FaultBackend backend = options.backendFactory().apply(context);
                 MachineDevices devices = MachineDevices.destination("dest", deviceSettings, backend.hostAccessor(),
                     registry);
                 GuestAgent agent = GuestAgent.of("guest-agent", identity)) {
                agent.start();
                devices.beginResume();
                DestinationPageSink sink = session.attach(backend, devices);
                DestinationConnector.Connection urgent = connector.connect(ConnectionRole.URGENT, control, 0,
                    remainingMs());
                DestinationConnector.Connection background = connector.connect(ConnectionRole.BACKGROUND, control, 0,
                    remainingMs());
                backend.engine().attachSource(new RemotePageSource(urgent.channel(), background.channel()));
                try (DestinationRecovery recovery = new DestinationRecovery(session, connector, control,
                    backend.engine(), options.recoveryTimeoutMs(), List.of(controlConnection, urgent, background))) {
                    await(session.resumeStateReady(), "the source's switchover and vCPU states");
                    if (control.isGranted(Feature.RECOVERY) && options.recoveryTimeoutMs() > 0) {
                        // From here on the VM runs here and the source holds the rest: a lost network is recovered.
                        session.recoverNetworkLossWith(recovery::onLoss);
                    }
                    Machine machine = new Machine(devices, identity, devices.finishResume(),
                        SourceNode.guestRegion(geometry, deviceSettings));
                    return runVm(backend, sink, description, machine, recovery);
                } catch (RuntimeException | InterruptedException e) {
                    backend.abortFaults();
                    throw e;
                }
            }
        } finally {
            session.finish();
            connector.closeAll();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    /** The resumed machine around the VM: its devices, verified, its identity, and the guest's memory region. */
    private record Machine(MachineDevices devices, MachineIdentity identity, List<DeviceVerification> verifications,
                           MemoryGeometry guestRegion) {
        boolean devicesVerified() {
            return verifications.stream().allMatch(DeviceVerification::verified);
        }
    }

    private DestinationResult runVm(FaultBackend backend, DestinationPageSink sink, VmDescription description,
                                    Machine machine, DestinationRecovery recovery) throws InterruptedException {
        Workload workload = Workloads.create(description.workload());
        long stopEpochNs = session.switchover().sourceStopEpochNs();
        try (SimulatedVm vm = new SimulatedVm("dest",
            vcpu -> new RegionAccessor(options.vcpuAccessorDecorator().decorate(vcpu, backend.vcpuAccessor(vcpu),
                backend.engine()), machine.guestRegion()), workload,
            session.vcpuStates(), EpochClock::nowNanos)) {
            try {
                return runResumedVm(vm, backend, sink, description, machine, workload, stopEpochNs, recovery);
            } catch (RuntimeException | InterruptedException e) {
                // Before the VM's close joins its vCPUs: release those blocked on pages that will never come.
                backend.abortFaults();
                throw e;
            }
        }
    }

    /** Resumes the VM, waits for every page, runs it a while, verifies it. */
    private DestinationResult runResumedVm(SimulatedVm vm, FaultBackend backend, DestinationPageSink sink,
                                           VmDescription description, Machine machine, Workload workload,
                                           long stopEpochNs, DestinationRecovery recovery)
        throws InterruptedException {
        vm.start();
        if (machine.devicesVerified()) {
            machine.devices().startDriver();
        }
        IdentityChange identityChange = machine.identity().onResumed();
        LOG.info("destination VM resumed with {} vCPUs running '{}'; generation {} -> {}", description.vcpus(),
            description.workload(), identityChange.generationBefore(), identityChange.generationAfter());
        long pageCount = backend.memory().pageCount();
        while (!backend.engine().isComplete()) {
            failIfFailed(vm);
            progress.onProgress(backend.engine().cachedPageCount(), pageCount);
            sleepUntilDeadline(100, "every page to arrive (" + backend.engine().cachedPageCount() + " of "
                + pageCount + " so far)");
        }
        // Stamped by the engine when the last page became present (its clock is System::nanoTime here), not when
        // this loop, polling every 100 ms, noticed.
        long completedAt = backend.engine().completedAtNanos();
        long completeEpochNs = EpochClock.nowNanos() - (completedAt == 0 ? 0 : Math.max(0, System.nanoTime()
            - completedAt));
        progress.onProgress(pageCount, pageCount);
        await(session.completeReceived(), "the source's COMPLETE");
        while (vm.firstStepNanos() == 0) {
            failIfFailed(vm);
            sleepUntilDeadline(1, "the first vCPU step");
        }
        Thread.sleep(options.runAfterMs());
        int acknowledged = machine.identity().awaitAcknowledged(TimeUnit.SECONDS.toNanos(5));
        machine.devices().driver().stop(TimeUnit.SECONDS.toNanos(10));
        vm.pause(TimeUnit.SECONDS.toNanos(10));
        failIfFailed(vm);
        session.finish();
        WorkloadCheck check = workload.verify(new RegionAccessor(backend.hostAccessor(), machine.guestRegion()),
            description.vcpus());
        MigrationReport report = new MigrationReport(backend.kind().cliName(), backend.memory().lengthInBytes(),
            backend.memory().pageSize(), sink.arrivals(), (completeEpochNs - stopEpochNs) / 1e6,
            (vm.firstStepNanos() - stopEpochNs) / 1e6, (long) registry.counter("postcopy.faults").count(),
            MigrationReport.uffdFaults(registry),
            sink.digests().compareWith(session.sourceDigests()), check, recovery.recoveries());
        return new DestinationResult(report, transport.reportName(), description.workload(), description.vcpus(),
            session.info(), MachineReport.of(identityChange, acknowledged, machine.verifications()));
    }

    /** The CONTROL connection; a refusal of optional features as unknown is a {@link FeaturesRefused}. */
    private DestinationConnector.Connection connectControl(DestinationConnector connector)
        throws InterruptedException {
        try {
            return connector.connect(ConnectionRole.CONTROL, null, 0, remainingMs());
        } catch (PostcopyException e) {
            if (e.code() == ErrorCode.UNKNOWN_FEATURE && (requestedFeatures & OPTIONAL_FEATURES) != 0) {
                throw new FeaturesRefused(e);
            }
            throw e;
        }
    }

    private <T> T await(CompletableFuture<T> future, String what) throws InterruptedException {
        return DestinationConnector.await(session, future, what, remainingMs());
    }

    private void failIfFailed(SimulatedVm vm) {
        if (session.failure().isCompletedExceptionally()) {
            try {
                session.failure().join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof PostcopyException p ? p
                    : new PostcopyException(ErrorCode.INTERNAL, e.getCause().toString(), e.getCause());
            }
        }
        vm.failure().ifPresent(f -> {
            throw new PostcopyException(ErrorCode.INTERNAL, "a destination vCPU failed: " + f.getMessage(), f);
        });
    }

    private void sleepUntilDeadline(long millis, String what) throws InterruptedException {
        if (remainingMs() <= 0) {
            throw new PostcopyException(ErrorCode.TIMEOUT, "timed out after " + options.timeoutMs()
                + " ms waiting for " + what);
        }
        Thread.sleep(Math.min(millis, Math.max(1, remainingMs())));
    }

    private long remainingMs() {
        return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }
}
