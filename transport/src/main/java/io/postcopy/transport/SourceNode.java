package io.postcopy.transport;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.postcopy.engine.backend.DirectAccessor;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.RegionAccessor;
import io.postcopy.engine.machine.MachineDevices;
import io.postcopy.engine.machine.MachineIdentity;
import io.postcopy.engine.device.DirtyPageLog;
import io.postcopy.engine.migration.DirtyTrackingAccessor;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.migration.SourcePageServer;
import io.postcopy.engine.vm.SimulatedVm;
import io.postcopy.engine.vm.VcpuState;
import io.postcopy.engine.vm.Workload;
import io.postcopy.engine.vm.Workloads;
import io.postcopy.protocol.NegotiatedSession;
import io.postcopy.protocol.SourceCapabilities;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A migration source: runs a simulated VM and listens for one destination at a time. When the destination's control
 * connection completes its handshake, a migration attempt (a session) begins: precopy rounds while the VM runs
 * (hybrid and precopy modes), then the VM stops (switchover), its vCPU and device states go out, and the frozen
 * memory is served: demand requests on the urgent connection, every other page on the background connection.
 *
 * <p>An attempt that fails before switchover is rolled back: the devices walk back to RUNNING, dirty tracking
 * stops, the VM never stopped, and the node accepts another destination ({@link #vmState()} stays
 * {@link SourceVmState#RUNNING}). One that fails after switchover leaves the VM paused with its memory intact
 * ({@link SourceVmState#PAUSED}), and no other destination is accepted.
 *
 * <p>Control methods are called by one thread; the rest runs on Netty's event loops.
 */
public final class SourceNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SourceNode.class);

    private final SourceOptions options;
    private final MemoryGeometry geometry;
    private final GuestMemory memory;
    private final SimulatedVm vm;
    private final DirtyPageLog dirtyLog;
    private final MachineDevices devices;
    private final MachineIdentity identity = MachineIdentity.fresh();
    private final NettyTransport transport = NettyTransport.best();
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup ioGroup;
    private final Channel serverChannel;
    private final List<SourceSession> attempts = new ArrayList<>();
    private int attemptsReported;
    private volatile SourceSession session;
    private volatile SourceVmState vmState = SourceVmState.RUNNING;

    private SourceNode(SourceOptions options, MeterRegistry registry) {
        this.options = options;
        this.geometry = new MemoryGeometry(options.memoryBytes(), options.pageSize());
        this.memory = GuestMemory.allocate(geometry);
        Workload workload = Workloads.create(options.workload());
        DirectAccessor direct = new DirectAccessor(memory);
        MachineDevices.Settings deviceSettings = MachineDevices.Settings.defaults(geometry);
        MemoryGeometry guestRegion = guestRegion(geometry, deviceSettings);
        workload.initialize(new RegionAccessor(direct, guestRegion), options.vcpus());
        this.dirtyLog = new DirtyPageLog(geometry);
        GuestAccessor tracked = new DirtyTrackingAccessor(direct, dirtyLog);
        this.devices = MachineDevices.source("source", deviceSettings, tracked, registry);
        GuestAccessor accessor = new RegionAccessor(tracked, guestRegion);
        this.vm = new SimulatedVm("source", vcpu -> accessor, workload,
            SimulatedVm.initialStates(options.vcpus(), options.seed()), EpochClock::nowNanos);
        registry.gauge("postcopy.source.vm.steps", vm, SimulatedVm::totalSteps);
        this.acceptGroup = transport.newGroup(1, "source-accept");
        this.ioGroup = transport.newGroup(2, "source-io");
        this.serverChannel = bind();
        vm.start();
        devices.startDriver();
    }

    /**
     * The part of guest memory the guest program uses: everything below the devices' DMA window, so that device
     * DMA never breaks the workload's own invariants. Source and destination compute it the same way.
     */
    static MemoryGeometry guestRegion(MemoryGeometry geometry, MachineDevices.Settings devices) {
        return new MemoryGeometry(devices.dmaWindowOffset(), geometry.pageSize());
    }

    /** The simulated devices (block, net) and their driver. */
    MachineDevices devices() {
        return devices;
    }

    /** The guest-visible identity: generation counter and VM clock page. */
    MachineIdentity identity() {
        return identity;
    }

    /** The VM (for tests: that it runs, or stays paused). */
    SimulatedVm vm() {
        return vm;
    }

    /** The log of guest pages the vCPUs wrote, used by precopy rounds. */
    DirtyPageLog dirtyLog() {
        return dirtyLog;
    }

    /** Guest memory. */
    GuestMemory memory() {
        return memory;
    }

    /** Where the VM is now, as far as this source knows; any thread. */
    public SourceVmState vmState() {
        return vmState;
    }

    /**
     * Allocates guest memory, initializes the workload, starts the VM running and listens.
     *
     * @throws PostcopyException if the address cannot be bound (say which and why)
     */
    public static SourceNode start(SourceOptions options, MeterRegistry registry) {
        return new SourceNode(options, registry);
    }

    private Channel bind() {
        ServerBootstrap bootstrap = new ServerBootstrap()
            .group(acceptGroup, ioGroup)
            .channel(transport.serverSocketChannel())
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
            .childHandler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel channel) {
                    Pipelines.install(channel.pipeline(), new SourceHandshakeHandler(SourceNode.this));
                }
            });
        try {
            Channel channel = bootstrap.bind(options.host(), options.port()).sync().channel();
            LOG.info("source listening on {} ({} transport)", channel.localAddress(), transport.reportName());
            return channel;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostcopyException(ErrorCode.INTERNAL, "interrupted while binding", e);
        } catch (RuntimeException e) {
            shutdownGroups();
            memory.close();
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "cannot listen on " + options.host() + ":"
                + options.port() + ": " + e.getMessage() + " (choose another --listen address or port)", e);
        }
    }

    /** The bound address (with the real port if port 0 was asked for). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** "epoll" or "nio". */
    public String transportName() {
        return transport.reportName();
    }

    /** Every known feature, but {@code RECOVERY} only if the options give a resumed session time to come back. */
    SourceCapabilities capabilities() {
        SourceCapabilities all = SourceCapabilities.current(geometry.pageSize(), geometry.pageCount());
        if (options.resumeWaitMs() > 0) {
            return all;
        }
        return new SourceCapabilities(all.minVersion(), all.maxVersion(),
            all.supportedFeatures() & ~io.postcopy.protocol.Feature.RECOVERY.mask(), all.pageSizeInBytes(),
            all.pageCount());
    }

    /** Whether {@code sessionId} names the open session and a RESUME handshake may resume it now. */
    boolean isResumableSession(long sessionId) {
        SourceSession current = session;
        return current != null && current.sessionId() == sessionId && current.isResumable();
    }

    boolean hasSession() {
        return session != null;
    }

    boolean isOpenSession(long sessionId) {
        SourceSession current = session;
        return current != null && current.sessionId() == sessionId;
    }

    /** The settings this node was started with. */
    SourceOptions options() {
        return options;
    }

    /** The open session, or null. */
    SourceSession openSessionOrNull() {
        return session;
    }

    SourceSession session() {
        SourceSession current = session;
        if (current == null) {
            throw new PostcopyException(ErrorCode.SESSION_MISMATCH, "no session is open");
        }
        return current;
    }

    /**
     * Opens the session whose control connection is {@code control}. The VM keeps running until the migration
     * stream switches over.
     */
    synchronized SourceSession openSession(Channel control, NegotiatedSession terms) {
        if (session != null) {
            throw new PostcopyException(ErrorCode.UNEXPECTED_MESSAGE, vmState == SourceVmState.RUNNING
                ? "a destination is already migrating this VM" : "the VM is " + vmState + " after a migration");
        }
        LOG.info("{} migration of {} pages to {} begins (attempt {})", options.mode().cliName(), geometry.pageCount(),
            control.remoteAddress(), attempts.size() + 1);
        session = new SourceSession(this, terms, new SourcePageServer(memory, false), dirtyLog, control, options);
        attempts.add(session);
        notifyAll();
        return session;
    }

    /** Stops the VM for switchover; returns the stop time in epoch nanoseconds. */
    long pauseVm() {
        vmState = SourceVmState.PAUSED;
        long stopEpochNs = vm.pause(TimeUnit.SECONDS.toNanos(10));
        LOG.info("source VM stopped after {} steps", vm.totalSteps());
        return stopEpochNs;
    }

    /** The vCPU states of the paused VM. */
    List<VcpuState> vcpuStates() {
        return vm.vcpuStates();
    }

    /**
     * A migration failed before switchover: undoes what it started, so that the VM runs here exactly as before.
     * Dirty tracking stops, the devices walk back to RUNNING through the VFIO state machine, and their driver runs
     * again if it had stopped. The VM itself never stopped. Called by the failing session, under its lock.
     *
     * @return null, or what went wrong with the devices (logged; the VM still runs)
     */
    synchronized String rollBack() {
        dirtyLog.stopTracking();
        try {
            devices.cancelMigration("migration failed before switchover");
            if (!devices.driver().isRunning()) {
                devices.startDriver();
            }
            LOG.info("migration rolled back: devices RUNNING, dirty tracking off, the VM keeps running here");
            return null;
        } catch (RuntimeException e) {
            LOG.error("rolling the devices back after a failed migration failed", e);
            return e.getMessage();
        }
    }

    /** The rolled-back session has closed every connection: another destination may connect. */
    synchronized void releaseSession(SourceSession ended) {
        if (session == ended) {
            session = null;
            LOG.info("ready for another destination on {}", localAddress());
        }
    }

    /** A migration failed after switchover: the VM stays paused and its memory stays as it is. */
    void pausedAfterFailedSwitchover() {
        dirtyLog.stopTracking();
        vmState = SourceVmState.PAUSED;
        LOG.warn("the VM stays paused here after a migration that failed after switchover; its memory is kept");
    }

    /** The destination has every page and closed the session: the VM lives there now. */
    void migrated() {
        vmState = SourceVmState.MIGRATED;
    }

    /**
     * Asks a hybrid migration to switch to post-copy (or a precopy one to stop and copy) at the end of the
     * current precopy round, instead of waiting for its round count or convergence. No effect in post-copy.
     */
    public void requestSwitchover() {
        SourceSession current = session;
        if (current != null) {
            current.askSwitchover();
        }
    }

    /**
     * Blocks until the next migration attempt not yet reported ends: returns its result if the destination took
     * the VM, throws its failure otherwise. After a failure before switchover ({@link #vmState()} still
     * {@link SourceVmState#RUNNING}) another destination may connect, and the next call waits for its attempt.
     *
     * @throws FailedMigrationException if the attempt failed; it says whether before switchover (the VM runs here)
     *                                   or after (paused here)
     * @throws PostcopyException         with {@code TIMEOUT} if no attempt ended in time
     */
    public SourceResult awaitCompletion(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        SourceSession attempt = awaitAttempt(deadline, timeoutMs);
        try {
            SourceResult result = attempt.outcome().get(Math.max(1, deadline - System.nanoTime()),
                TimeUnit.NANOSECONDS);
            attemptReported();
            return result;
        } catch (ExecutionException e) {
            attemptReported();
            if (e.getCause() instanceof PostcopyException p) {
                throw p;
            }
            throw new PostcopyException(ErrorCode.INTERNAL, "migration failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new PostcopyException(ErrorCode.TIMEOUT, "the migration did not finish within " + timeoutMs + " ms");
        }
    }

    private synchronized SourceSession awaitAttempt(long deadline, long timeoutMs) throws InterruptedException {
        while (attempts.size() <= attemptsReported) {
            long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remainingMs <= 0) {
                throw new PostcopyException(ErrorCode.TIMEOUT, "no destination connected within " + timeoutMs
                    + " ms (start one with: postcopy dest --connect " + options.host() + ":"
                    + localAddress().getPort() + ")");
            }
            wait(remainingMs);
        }
        return attempts.get(attemptsReported);
    }

    private synchronized void attemptReported() {
        attemptsReported++;
    }

    /** Stops the VM and the network, then releases guest memory (after every channel is closed). */
    @Override
    public void close() {
        vm.close();
        devices.close();
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        shutdownGroups();
        awaitDigests();
        memory.close();
    }

    /** The digests of a session that sent every page read the memory: it is closed only after them. */
    private void awaitDigests() {
        SourceSession current = session;
        try {
            if (current != null && !current.awaitDigests(10_000)) {
                LOG.warn("page digests still being computed after 10 s; closing the memory under them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void shutdownGroups() {
        ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
