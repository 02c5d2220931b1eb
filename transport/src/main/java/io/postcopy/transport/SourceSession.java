package io.postcopy.transport;

import io.netty.channel.Channel;
import io.postcopy.engine.device.DirtyPageLog;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.migration.MigrationMode;
import io.postcopy.engine.migration.SourcePageServer;
import io.postcopy.engine.vm.VcpuState;
import io.postcopy.protocol.Complete;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.DeviceStateChunk;
import io.postcopy.protocol.DiscardRanges;
import io.postcopy.protocol.NegotiatedSession;
import io.postcopy.protocol.PageDigests;
import io.postcopy.protocol.PageRange;
import io.postcopy.protocol.Switchover;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

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
 * <p>A session ends once: completed (COMPLETE sent, then the control connection closed), or failed (a peer's ERROR,
 * a lost connection, a silent destination, a failed switchover). A failure before switchover rolls the source back
 * ({@link SourceNode#rollBack}): the VM never stopped and runs on. A failure after it leaves the VM paused with its
 * memory, which holds the only copy of the pages not yet sent. Either way every connection of the session is
 * closed, and only then is {@link #outcome()} completed, so that nothing of the session touches the node after it.
 *
 * <p>Thread-safe: the three connections may run on different event loops. The phase and the devices during
 * precopy are guarded by this object's lock.
 */
final class SourceSession {
    private static final Logger LOG = LoggerFactory.getLogger(SourceSession.class);
    private static final int DIGESTS_PER_FRAME = 65_536;
    private static final int RANGES_PER_FRAME = 65_536;

    private enum Phase { BEFORE_SWITCHOVER, SWITCHED_OVER, ENDED }

    private final SourceNode node;
    private final NegotiatedSession terms;
    private final SourcePageServer server;
    private final DirtyPageLog dirtyLog;
    private final SourceOptions options;
    private final SourceRecovery recovery;
    private volatile Channel control;
    private int generation;
    private final List<Channel> connections = new ArrayList<>();
    private final AtomicBoolean completeSent = new AtomicBoolean();
    /** Computes and sends the page digests once every page was delivered; null before. */
    private volatile Thread digestsThread;
    private final CompletableFuture<SourceResult> outcome = new CompletableFuture<>();
    private Phase phase = Phase.BEFORE_SWITCHOVER;
    private boolean switchedOver;
    private volatile boolean switchoverAsked;
    private volatile long stopNanoTime;
    private volatile long allSentNanoTime;
    private volatile MigrationInfo info;

    /**
     * @param terms   what the CONTROL connection was granted; every other connection of the session must be granted
     *                the same
     * @param control the CONTROL connection, whose close ends the session
     */
    SourceSession(SourceNode node, NegotiatedSession terms, SourcePageServer server, DirtyPageLog dirtyLog,
                  Channel control, SourceOptions options) {
        this.node = node;
        this.terms = terms;
        this.server = server;
        this.dirtyLog = dirtyLog;
        this.control = control;
        this.options = options;
        this.recovery = terms.isGranted(io.postcopy.protocol.Feature.RECOVERY) && options.resumeWaitMs() > 0
            ? new SourceRecovery(terms.sessionId(), options.resumeWaitMs(), server) : null;
        connections.add(control);
        watch(control, ConnectionRole.CONTROL);
    }

    /** Notes the close of a connection of the current generation. Called under this object's lock or before. */
    private void watch(Channel connection, ConnectionRole role) {
        int connectionGeneration = generation;
        connection.closeFuture().addListener(f -> onConnectionClosed(connection, role, connectionGeneration));
    }

    long sessionId() {
        return terms.sessionId();
    }

    /** What the CONTROL connection was granted. */
    NegotiatedSession terms() {
        return terms;
    }

    /**
     * Adds an URGENT or BACKGROUND connection; losing it before the session completed fails the session.
     *
     * @return false if the session has already ended (the connection is then closed)
     */
    boolean join(Channel connection, ConnectionRole role) {
        synchronized (this) {
            if (phase != Phase.ENDED && (recovery == null || !recovery.isRecovering())) {
                connections.add(connection);
                watch(connection, role);
                return true;
            }
        }
        connection.close();
        return false;
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
        return terms.decodeContext();
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

    /**
     * Completes when an URGENT or BACKGROUND connection may join: at once, or after a network loss once the resumed
     * control connection has delivered the whole RECEIVED_BITMAP; exceptionally if the session ends first.
     */
    java.util.concurrent.CompletableFuture<Void> joinable() {
        return recovery == null ? CompletableFuture.completedFuture(null) : recovery.joinable();
    }

    /** True once the VM stopped for switchover: a BACKGROUND connection that joins now resumes the page stream. */
    synchronized boolean hasSwitchedOver() {
        return switchedOver;
    }

    /** Whether a RESUME handshake may name this session: recovery was granted and the session switched over. */
    synchronized boolean isResumable() {
        return recovery != null && phase == Phase.SWITCHED_OVER && !completeSent.get();
    }

    /** Network losses this session recovered from. */
    int recoveries() {
        return recovery == null ? 0 : recovery.recoveries();
    }

    /**
     * A RESUME handshake for this session arrived on {@code resumed} (PROTOCOL.md section 9). A session that has not
     * noticed its loss yet takes this as the notice. The returned future completes once every connection of the lost
     * generation has closed; the caller then answers the handshake, and {@code resumed} is the control connection.
     *
     * @throws PostcopyException {@code SESSION_MISMATCH} if the session cannot be resumed (it ended)
     */
    CompletableFuture<Void> resume(Channel resumed) {
        synchronized (this) {
            if (!isResumable()) {
                throw new PostcopyException(ErrorCode.SESSION_MISMATCH, "session " + Long.toHexString(sessionId())
                    + " cannot be resumed (it " + (phase == Phase.ENDED ? "ended" : "has not switched over") + ")");
            }
            if (!recovery.isRecovering() || connections.size() > 0) {
                loseNetwork(new PostcopyException(ErrorCode.PEER_GONE, "the destination resumed the session on a new "
                    + "connection"), generation);
            }
            CompletableFuture<Void> lostClosed = recovery.onResume();
            control = resumed;
            connections.add(resumed);
            watch(resumed, ConnectionRole.RESUME);
            return lostClosed;
        }
    }

    /**
     * One RECEIVED_BITMAP frame on the resumed control connection; the last one reconnects the session.
     *
     * @throws io.postcopy.protocol.ProtocolException {@code UNEXPECTED_MESSAGE} outside a resume
     */
    void onReceivedBitmap(io.postcopy.protocol.ReceivedBitmap bitmap) {
        if (recovery == null) {
            throw new io.postcopy.protocol.ProtocolException(io.postcopy.protocol.ProtocolErrorCode.UNEXPECTED_MESSAGE,
                "RECEIVED_BITMAP without recovery");
        }
        if (recovery.onBitmap(bitmap)) {
            afterDelivery();
        }
    }

    /**
     * The network of the session is lost after switchover and recovery was granted: the connections of generation
     * {@code lostGeneration} close without an ERROR (the destination will resume the session), the VM stays paused,
     * and the wait for the destination begins.
     *
     * @return true if the loss is handled (recovering, or a connection of an older generation, or the session ended);
     *     false if the session must fail
     */
    private synchronized boolean loseNetwork(PostcopyException cause, int lostGeneration) {
        if (phase == Phase.ENDED || lostGeneration != generation) {
            return true;
        }
        if (recovery == null || phase != Phase.SWITCHED_OVER || completeSent.get()) {
            return false;
        }
        generation++;
        List<Channel> lost = List.copyOf(connections);
        connections.clear();
        recovery.onLoss(cause, lost, control.eventLoop(), () -> fail(new PostcopyException(ErrorCode.TIMEOUT,
            "the destination did not resume the session within " + options.resumeWaitMs() + " ms of the network loss ("
            + cause.getMessage() + ")")));
        for (Channel connection : lost) {
            connection.close();
        }
        return true;
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
        synchronized (this) {
            if (phase != Phase.BEFORE_SWITCHOVER) {
                LOG.info("session {}: no switchover, the session has ended", Long.toHexString(sessionId()));
                return;
            }
            phase = Phase.SWITCHED_OVER;
            switchedOver = true;
        }
        try {
            stopAndSend(stream, precopyRounds, converged);
        } catch (RuntimeException e) {
            failAndTell(e instanceof PostcopyException p ? p
                : new PostcopyException(ErrorCode.INTERNAL, "switchover failed: " + e, e));
        }
    }

    private void stopAndSend(Channel stream, int precopyRounds, boolean converged) {
        stopNanoTime = System.nanoTime();
        long stopEpochNs = node.pauseVm();
        List<VcpuState> states = node.vcpuStates();
        // Devices stop (their driver first) before the final dirty set is read: their last DMA is in it.
        node.devices().stopAndCopy(chunk -> writeDeviceChunk(stream, chunk));
        ChannelPageSink sink = new ChannelPageSink(stream, decodeContext());
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

    /**
     * Precopy: the devices' state while they run (initial, then what changed), behind the round's pages. Nothing
     * once the session has switched over or ended (the devices may have been rolled back meanwhile).
     */
    synchronized void sendPrecopyDeviceState(Channel stream) {
        if (phase == Phase.BEFORE_SWITCHOVER) {
            node.devices().drainPrecopyChunks(chunk -> writeDeviceChunk(stream, chunk));
        }
    }

    /**
     * Precopy begins: devices go to PRE_COPY and log their DMA. A session that has already ended starts nothing, and
     * stops the memory dirty tracking that its migration stream may just have started (it was rolled back before).
     */
    synchronized void startDevicePrecopy() {
        if (phase == Phase.BEFORE_SWITCHOVER) {
            node.devices().startPrecopy();
        } else if (!switchedOver) {
            dirtyLog.stopTracking();
        }
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
        digestsThread = Thread.ofPlatform().name("source-digests").daemon().start(this::sendDigestsAndComplete);
    }

    /**
     * Waits up to {@code timeoutMs} for the page digests, if they are being computed, so that the memory they read
     * can be closed.
     *
     * @return false if they were still being computed after {@code timeoutMs}
     */
    boolean awaitDigests(long timeoutMs) throws InterruptedException {
        Thread thread = digestsThread;
        return thread == null || thread.join(java.time.Duration.ofMillis(timeoutMs));
    }

    private void sendDigestsAndComplete() {
        io.postcopy.engine.migration.PageDigests frozen;
        try {
            frozen = io.postcopy.engine.migration.PageDigests.of(server.memory());
        } catch (IllegalStateException closed) {
            // The source shut down, closing its memory, while this thread read it: the session ends with it (a
            // no-op if it had already ended), rather than this thread dying with an uncaught exception.
            fail(new PostcopyException(ErrorCode.INTERNAL, "the source's memory was closed while its page digests "
                + "were computed: " + closed.getMessage(), closed));
            return;
        }
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
            Long.toHexString(sessionId()), server.precopyPages(), server.demandPages(), server.backgroundPages(),
            server.zeroPages(), (allSentNanoTime - stopNanoTime) / 1_000_000);
    }

    /**
     * The destination sent nothing on the control connection for the keepalive deadline. After COMPLETE that ends
     * the session normally (every page was sent); before, it fails it.
     */
    void onDestinationSilent(PostcopyException silence) {
        if (completeSent.get()) {
            LOG.warn("session {}: {}; every page had been sent, closing", Long.toHexString(sessionId()),
                silence.getMessage());
            control.close();
        } else if (!loseNetworkNow(silence)) {
            failAndTell(silence);
        }
    }

    private synchronized boolean loseNetworkNow(PostcopyException cause) {
        return loseNetwork(cause, generation);
    }

    /**
     * A failure this side detected: the destination is told with one ERROR frame on the control connection (by
     * its protocol error handler, best effort) before the close.
     */
    private void failAndTell(PostcopyException failure) {
        end(failure, true);
    }

    /** The session failed: a peer's error, a protocol error or a lost connection. */
    void fail(PostcopyException failure) {
        end(failure, false);
    }

    private void end(PostcopyException cause, boolean tellPeer) {
        List<Channel> toClose;
        PostcopyException failure;
        boolean rolledBack;
        synchronized (this) {
            if (phase == Phase.ENDED) {
                return;
            }
            rolledBack = phase == Phase.BEFORE_SWITCHOVER;
            long unsent = server.memory().pageCount() - server.sentPageCount();
            if (rolledBack) {
                String rollbackProblem = node.rollBack();
                failure = new FailedMigrationException(cause, true, unsent, "this was before switchover, so the "
                    + "source VM never stopped and keeps running here"
                    + (rollbackProblem == null ? "" : ", but its devices could not be rolled back: "
                    + rollbackProblem));
            } else {
                node.pausedAfterFailedSwitchover();
                failure = new FailedMigrationException(cause, false, unsent, "this was after switchover, so the "
                    + "source VM stays paused here with its memory"
                    + (unsent > 0 ? ", the only copy of the " + unsent + " pages the destination was never sent"
                    : " (every page had been sent)"));
            }
            phase = Phase.ENDED;
            toClose = List.copyOf(connections);
            if (recovery != null) {
                recovery.onEnded(failure);
            }
        }
        LOG.warn("session {} failed: {}", Long.toHexString(sessionId()), failure.getMessage());
        // The outcome is known only when every connection has closed: by then no handler of this session runs, so a
        // next session (after a rollback) shares nothing with this one.
        if (toClose.isEmpty()) {
            outcome.completeExceptionally(failure);
            return;
        }
        AtomicInteger open = new AtomicInteger(toClose.size());
        for (Channel connection : toClose) {
            connection.closeFuture().addListener(f -> {
                if (open.decrementAndGet() == 0) {
                    if (rolledBack) {
                        node.releaseSession(this);
                    }
                    outcome.completeExceptionally(failure);
                }
            });
            if (tellPeer && connection == control && connection.isActive()) {
                connection.pipeline().fireExceptionCaught(cause);
                // A stalled peer may never take the ERROR frame off our hands.
                connection.eventLoop().schedule(() -> connection.close(), 1, TimeUnit.SECONDS);
            } else {
                connection.close();
            }
        }
    }

    private void onConnectionClosed(Channel connection, ConnectionRole role, int connectionGeneration) {
        if (!completeSent.get()) {
            PostcopyException lost = new PostcopyException(ErrorCode.PEER_GONE, "the destination closed its " + role
                + " connection after " + server.sentPageCount() + " of " + server.memory().pageCount()
                + " pages had been sent");
            if (!loseNetwork(lost, connectionGeneration)) {
                fail(lost);
            }
            return;
        }
        if (connection == control) {
            synchronized (this) {
                if (phase == Phase.ENDED) {
                    return;
                }
                phase = Phase.ENDED;
            }
            node.migrated();
            outcome.complete(new SourceResult(server.demandPages(), server.backgroundPages(), server.zeroPages(),
                server.requestsForSentPages(), (allSentNanoTime - stopNanoTime) / 1e6, recoveries()));
        }
    }
}
