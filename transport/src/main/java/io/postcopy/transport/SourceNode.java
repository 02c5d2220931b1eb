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
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.HandshakeAnswer;
import io.postcopy.protocol.SourceCapabilities;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A migration source: runs a simulated VM and listens for one destination. When the destination's control
 * connection completes its handshake, the VM stops (switchover), its vCPU states go out, and the frozen memory is
 * served: demand requests on the urgent connection, every other page on the background connection.
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
    private volatile SourceSession session;

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

    SourceCapabilities capabilities() {
        return SourceCapabilities.current(geometry.pageSize(), geometry.pageCount());
    }

    boolean hasSession() {
        return session != null;
    }

    boolean isOpenSession(long sessionId) {
        SourceSession current = session;
        return current != null && current.sessionId() == sessionId;
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
    synchronized SourceSession openSession(Channel control, HandshakeAnswer answer) {
        if (session != null) {
            throw new PostcopyException(ErrorCode.UNEXPECTED_MESSAGE, "a destination is already migrating this VM");
        }
        LOG.info("{} migration of {} pages to {} begins", options.mode().cliName(), geometry.pageCount(),
            control.remoteAddress());
        session = new SourceSession(this, answer.sessionId(), new SourcePageServer(memory, false), dirtyLog,
            DecodeContext.session(answer.pageSizeInBytes(), answer.pageCount(), answer.grantedFeatures()), control,
            options);
        return session;
    }

    /** Stops the VM for switchover; returns the stop time in epoch nanoseconds. */
    long pauseVm() {
        long stopEpochNs = vm.pause(TimeUnit.SECONDS.toNanos(10));
        LOG.info("source VM stopped after {} steps", vm.totalSteps());
        return stopEpochNs;
    }

    /** The vCPU states of the paused VM. */
    List<VcpuState> vcpuStates() {
        return vm.vcpuStates();
    }

    /** A migration failed before switchover: the VM never stopped for it and simply keeps running here. */
    void resumeAfterFailedMigration() {
        dirtyLog.stopTracking();
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
     * Blocks until a destination has taken the VM and closed the session.
     *
     * @throws PostcopyException with {@code TIMEOUT} if that did not happen in time, or the session's failure
     */
    public SourceResult awaitCompletion(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (session == null) {
            if (System.nanoTime() > deadline) {
                throw new PostcopyException(ErrorCode.TIMEOUT, "no destination connected within " + timeoutMs
                    + " ms (start one with: postcopy dest --connect " + options.host() + ":" + localAddress().getPort()
                    + ")");
            }
            Thread.sleep(10);
        }
        try {
            return session.outcome().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PostcopyException p) {
                throw p;
            }
            throw new PostcopyException(ErrorCode.INTERNAL, "migration failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new PostcopyException(ErrorCode.TIMEOUT, "the migration did not finish within " + timeoutMs + " ms");
        }
    }

    /** Stops the VM and the network, then releases guest memory (after every channel is closed). */
    @Override
    public void close() {
        vm.close();
        devices.close();
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        shutdownGroups();
        memory.close();
    }

    private void shutdownGroups() {
        ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
