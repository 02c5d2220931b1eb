package io.postcopy.transport;

import io.netty.channel.Channel;
import io.postcopy.engine.device.DirtyPageLog;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.migration.MigrationMode;
import io.postcopy.engine.migration.SourcePageServer;
import io.postcopy.engine.vm.VcpuState;
import io.postcopy.protocol.Complete;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.DeviceStateChunk;
import io.postcopy.protocol.DiscardRanges;
import io.postcopy.protocol.PageDigests;
import io.postcopy.protocol.PageRange;
import io.postcopy.protocol.Switchover;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The source's half of one migration session, shared by its control, urgent and background connections.
 *
 * <p>The conversation: after the control handshake the VM description goes out on the control connection while
 * the VM keeps running. The background connection carries the migration stream in order: precopy rounds (hybrid
 * and precopy modes), then at switchover the discard ranges, the migration info, SWITCHOVER and the vCPU states,
 * then the post-copy background pages. Ordering on one connection is what guarantees that a stale precopy page
 * can never land after its discard. Demand requests use the urgent connection. When every page is delivered, the
 * digests of the frozen memory and COMPLETE go out on the control connection.
 *
 * <p>Thread-safe: the three connections may run on different event loops.
 */
final class SourceSession {
    private static final Logger LOG = LoggerFactory.getLogger(SourceSession.class);
    private static final int DIGESTS_PER_FRAME = 65_536;
    private static final int RANGES_PER_FRAME = 65_536;

    private final SourceNode node;
    private final long sessionId;
    private final SourcePageServer server;
    private final DirtyPageLog dirtyLog;
    private final DecodeContext decodeContext;
    private final Channel control;
    private final SourceOptions options;
    private final AtomicBoolean completeSent = new AtomicBoolean();
    private final CompletableFuture<SourceResult> outcome = new CompletableFuture<>();
    private volatile boolean switchoverAsked;
    private volatile long stopNanoTime;
    private volatile long allSentNanoTime;
    private volatile MigrationInfo info;

    SourceSession(SourceNode node, long sessionId, SourcePageServer server, DirtyPageLog dirtyLog,
                  DecodeContext decodeContext, Channel control, SourceOptions options) {
        this.node = node;
        this.sessionId = sessionId;
        this.server = server;
        this.dirtyLog = dirtyLog;
        this.decodeContext = decodeContext;
        this.control = control;
        this.options = options;
        control.closeFuture().addListener(f -> onControlClosed());
    }

    long sessionId() {
        return sessionId;
    }

    SourcePageServer server() {
        return server;
    }

    DirtyPageLog dirtyLog() {
        return dirtyLog;
    }

    SourceOptions options() {
        return options;
    }

    DecodeContext decodeContext() {
        return decodeContext;
    }

    CompletableFuture<SourceResult> outcome() {
        return outcome;
    }

    /** The operator asked to switch to post-copy (hybrid) or to stop and copy (precopy) now. */
    void askSwitchover() {
        switchoverAsked = true;
    }

    boolean switchoverAsked() {
        return switchoverAsked;
    }

    /** Sends the VM description on the control connection; the destination sets up its memory from it. */
    void sendVmDescription() {
        control.writeAndFlush(new DeviceStateChunk(VmDescription.DEVICE_NAME, 0, true,
            new VmDescription(options.workload(), options.vcpus(), node.identity().generation(),
                node.identity().disruptionMarker()).toBytes()));
    }

    /**
     * Switchover, on the background connection's event loop: stops the VM, deals with pages precopy sent that
     * the VM wrote since (hybrid: declared stale and discarded; precopy: copied now), then sends the migration
     * info, SWITCHOVER and every vCPU state behind them on {@code stream}.
     *
     * @param precopyRounds rounds completed before switchover
     * @param converged     precopy: whether the rest fitted the downtime budget
     */
    void switchover(Channel stream, int precopyRounds, boolean converged) {
        stopNanoTime = System.nanoTime();
        long stopEpochNs = node.pauseVm();
        List<VcpuState> states = node.vcpuStates();
        // Devices stop (their driver first) before the final dirty set is read: their last DMA is in it.
        node.devices().stopAndCopy(chunk -> writeDeviceChunk(stream, chunk));
        ChannelPageSink sink = new ChannelPageSink(stream);
        List<PageRange> stale = new ArrayList<>();
        long[] discarded = {0};
        if (options.mode() != MigrationMode.POSTCOPY) {
            dirtyLog.readAndClear(pageIndex -> {
                if (options.mode() == MigrationMode.PRECOPY) {
                    server.sendPrecopy(pageIndex, sink);
                } else if (server.markStale(pageIndex)) {
                    discarded[0]++;
                    addToRanges(stale, pageIndex);
                }
            });
            dirtyLog.stopTracking();
        }
        for (int from = 0; from < stale.size(); from += RANGES_PER_FRAME) {
            stream.write(new DiscardRanges(stale.subList(from, Math.min(stale.size(), from + RANGES_PER_FRAME))));
        }
        info = new MigrationInfo(options.mode(), precopyRounds, converged, discarded[0]);
        stream.write(new DeviceStateChunk(MigrationInfo.DEVICE_NAME, 0, true, info.toBytes()));
        stream.write(new Switchover(stopEpochNs, states.size(), node.devices().deviceNames().size()));
        for (VcpuState state : states) {
            stream.write(new io.postcopy.protocol.VcpuState(state.vcpuId(), state.toBytes()));
        }
        stream.flush();
        LOG.info("switchover ({}): source VM stopped after {} precopy rounds, {} pages discarded as stale",
            options.mode().cliName(), precopyRounds, discarded[0]);
        afterDelivery();
    }

    /** Precopy: the devices' state while they run (initial, then what changed), behind the round's pages. */
    void sendPrecopyDeviceState(Channel stream) {
        node.devices().drainPrecopyChunks(chunk -> writeDeviceChunk(stream, chunk));
    }

    /** Precopy begins: devices go to PRE_COPY and log their DMA. */
    void startDevicePrecopy() {
        node.devices().startPrecopy();
    }

    private static void writeDeviceChunk(Channel stream, io.postcopy.engine.machine.DeviceChunk chunk) {
        stream.write(new DeviceStateChunk(chunk.deviceName(), chunk.sequence(), chunk.last(), chunk.data()));
    }

    private static void addToRanges(List<PageRange> ranges, long pageIndex) {
        if (!ranges.isEmpty()) {
            PageRange last = ranges.getLast();
            if (last.firstPageIndex() + last.pageCount() == pageIndex) {
                ranges.set(ranges.size() - 1, new PageRange(last.firstPageIndex(), last.pageCount() + 1));
                return;
            }
        }
        ranges.add(new PageRange(pageIndex, 1));
    }

    /**
     * Called after pages were delivered, from any thread. The first call that finds every page delivered after
     * switchover sends the digests of the frozen memory and then COMPLETE on the control connection. The digests
     * are recomputed from the frozen memory (not taken as the pages went out), so a write that dirty tracking
     * missed during precopy shows as a mismatch instead of passing unnoticed.
     */
    void afterDelivery() {
        if (info == null || !server.isAllDelivered() || !completeSent.compareAndSet(false, true)) {
            return;
        }
        allSentNanoTime = System.nanoTime();
        Thread.ofPlatform().name("source-digests").daemon().start(this::sendDigestsAndComplete);
    }

    private void sendDigestsAndComplete() {
        io.postcopy.engine.migration.PageDigests frozen =
            io.postcopy.engine.migration.PageDigests.of(server.memory());
        long pageCount = frozen.pageCount();
        for (long first = 0; first < pageCount; first += DIGESTS_PER_FRAME) {
            long[] chunk = new long[(int) Math.min(DIGESTS_PER_FRAME, pageCount - first)];
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = frozen.get(first + i);
            }
            control.write(new PageDigests(first, chunk));
        }
        control.writeAndFlush(new Complete());
        LOG.info("session {}: every page sent ({} precopy, {} demand, {} background, {} zero) {} ms after the stop",
            Long.toHexString(sessionId), server.precopyPages(), server.demandPages(), server.backgroundPages(),
            server.zeroPages(), (allSentNanoTime - stopNanoTime) / 1_000_000);
    }

    /** The session failed: a peer's error, a protocol error or a lost connection. */
    void fail(PostcopyException failure) {
        if (outcome.completeExceptionally(failure)) {
            LOG.warn("session {} failed: {}", Long.toHexString(sessionId), failure.getMessage());
            control.close();
        }
    }

    private void onControlClosed() {
        if (completeSent.get()) {
            outcome.complete(new SourceResult(server.demandPages(), server.backgroundPages(), server.zeroPages(),
                server.requestsForSentPages(), (allSentNanoTime - stopNanoTime) / 1e6));
        } else {
            fail(new PostcopyException(ErrorCode.PEER_GONE, "the destination closed the session after "
                + server.sentPageCount() + " of " + server.memory().pageCount() + " pages"
                + (info == null ? " (before switchover: the source VM keeps running here)"
                : "; in post-copy the running VM is now lost (post-copy's known risk: restart it from a snapshot)")));
            if (info == null) {
                node.resumeAfterFailedMigration();
            }
        }
    }
}
