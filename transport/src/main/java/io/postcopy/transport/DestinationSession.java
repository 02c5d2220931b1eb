package io.postcopy.transport;

import io.postcopy.engine.backend.BackendKind;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.migration.ContiguousPageBatcher;
import io.postcopy.engine.migration.DestinationPageSink;
import io.postcopy.engine.migration.PageDigests;
import io.postcopy.engine.port.PageOrigin;
import io.postcopy.engine.vm.VcpuState;
import io.postcopy.protocol.DeviceStateChunk;
import io.postcopy.protocol.PageData;
import io.postcopy.protocol.PageEncoding;
import io.postcopy.protocol.PageRun;
import io.postcopy.protocol.Switchover;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The destination's half of one session, fed by its connections' event loops: collects the resume state (switchover,
 * machine description, vCPU states), installs arriving pages, keeps the source's digest table and notes COMPLETE.
 * Any failure completes {@link #failure()}, which every wait of the migration watches. Thread-safe.
 */
final class DestinationSession {
    private final CompletableFuture<VmDescription> descriptionReady = new CompletableFuture<>();
    private final CompletableFuture<Void> resumeStateReady = new CompletableFuture<>();
    private final CompletableFuture<Void> completeReceived = new CompletableFuture<>();
    private final CompletableFuture<Void> failure = new CompletableFuture<>();
    private final List<VcpuState> vcpuStates = new ArrayList<>();
    private volatile Switchover switchover;
    private volatile VmDescription description;
    private volatile MigrationInfo info;
    private volatile DestinationPageSink sink;
    private volatile BackendKind backendKind;
    private volatile io.postcopy.engine.machine.MachineDevices devices;
    private volatile PageDigests sourceDigests;
    private volatile long digestsReceived;
    private volatile boolean finished;
    private volatile int generation;
    private volatile java.util.function.ObjIntConsumer<PostcopyException> onNetworkLoss;

    /** Completes with the VM description the source sends first on the control connection. */
    CompletableFuture<VmDescription> descriptionReady() {
        return descriptionReady;
    }

    /** Completes when the VM can resume: migration info, switchover and every vCPU state are in. */
    CompletableFuture<Void> resumeStateReady() {
        return resumeStateReady;
    }

    /** Completes when the source said it sent every page (COMPLETE) after the whole digest table. */
    CompletableFuture<Void> completeReceived() {
        return completeReceived;
    }

    /** Completes exceptionally on the session's first failure; never completes normally. */
    CompletableFuture<Void> failure() {
        return failure;
    }

    Switchover switchover() {
        return switchover;
    }

    VmDescription description() {
        return description;
    }

    MigrationInfo info() {
        return info;
    }

    synchronized List<VcpuState> vcpuStates() {
        return List.copyOf(vcpuStates);
    }

    PageDigests sourceDigests() {
        return sourceDigests;
    }

    /** Starts installing pages into {@code backend} and device state into {@code resuming}. */
    DestinationPageSink attach(FaultBackend backend, io.postcopy.engine.machine.MachineDevices resuming) {
        devices = resuming;
        backendKind = backend.kind();
        sourceDigests = new PageDigests(backend.memory().pageCount());
        sink = new DestinationPageSink(backend);
        return sink;
    }

    /** The migration is over: connections closing from now on are expected. */
    void finish() {
        finished = true;
    }

    /**
     * A new batcher for one connection's pages: contiguous runs are installed with one call (one UFFDIO_COPY).
     *
     * @throws PostcopyException if no VM has been set up yet to install into
     */
    ContiguousPageBatcher newBatcher() {
        DestinationPageSink target = sink;
        if (target == null) {
            throw new PostcopyException(ErrorCode.UNEXPECTED_MESSAGE, "PAGE_DATA before the VM was set up");
        }
        // Runs pay off for userfaultfd (one UFFDIO_COPY per run); the software backend copies each page into place
        // anyway, so it is spared the staging copy.
        return backendKind == BackendKind.USERFAULTFD ? new ContiguousPageBatcher(target)
            : ContiguousPageBatcher.unbatched(target);
    }

    /**
     * Stages or installs a page through the connection's batcher (the caller flushes it at the end of each read
     * and before any other message); the caller (the channel handler) releases the message afterwards.
     */
    void onPage(PageData page, ContiguousPageBatcher batcher) {
        if (page.encoding() == PageEncoding.ZERO) {
            batcher.addZero(page.pageIndex(), ChannelPageSink.engineOrigin(page.origin()));
        } else {
            MemorySegment content = MemorySegment.ofBuffer(page.content().nioBuffer());
            batcher.add(page.pageIndex(), content, ChannelPageSink.engineOrigin(page.origin()));
        }
    }

    /**
     * Installs a run straight from the received bytes, through the connection's batcher (one UFFDIO_COPY per part
     * of the frame as it came off the network, or one UFFDIO_ZEROPAGE for a zero run); the caller (the channel
     * handler) flushed the batcher first and releases the message afterwards.
     */
    void onPageRun(PageRun run, ContiguousPageBatcher batcher) {
        DestinationPageSink target = sink;
        PageOrigin origin = ChannelPageSink.engineOrigin(run.origin());
        if (run.encoding() == PageEncoding.ZERO) {
            target.onZeroPageRun(run.firstPageIndex(), run.pageCount(), origin);
            return;
        }
        ByteBuffer[] buffers = run.content().nioBuffers();
        MemorySegment[] parts = new MemorySegment[buffers.length];
        for (int i = 0; i < buffers.length; i++) {
            parts[i] = MemorySegment.ofBuffer(buffers[i]);
        }
        batcher.addRun(run.firstPageIndex(), parts, run.pageCount(), origin);
    }

    void onSwitchover(Switchover message) {
        if (switchover != null) {
            throw new PostcopyException(ErrorCode.UNEXPECTED_MESSAGE, "a second SWITCHOVER");
        }
        switchover = message;
        checkResumeState();
    }

    void onDeviceState(DeviceStateChunk chunk) {
        boolean single = chunk.last() && chunk.sequence() == 0;
        if (single && VmDescription.DEVICE_NAME.equals(chunk.deviceName()) && description == null) {
            description = VmDescription.fromBytes(chunk.data());
            descriptionReady.complete(description);
        } else if (single && MigrationInfo.DEVICE_NAME.equals(chunk.deviceName()) && info == null) {
            info = MigrationInfo.fromBytes(chunk.data());
            checkResumeState();
        } else if (devices != null && !chunk.deviceName().startsWith("postcopy.")
            && !VmDescription.DEVICE_NAME.equals(chunk.deviceName())) {
            devices.acceptChunk(chunk.deviceName(), chunk.sequence(), chunk.last(), chunk.data());
        } else {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, "unexpected device state for '" + chunk.deviceName()
                + "' (sequence " + chunk.sequence() + "; the single-chunk '" + VmDescription.DEVICE_NAME + "' and '"
                + MigrationInfo.DEVICE_NAME + "' come once each, device states only after the VM is set up)");
        }
    }

    /** Drops pages whose precopy content went stale; arrives on the migration stream before SWITCHOVER. */
    void onDiscard(io.postcopy.protocol.DiscardRanges discard) {
        DestinationPageSink target = sink;
        if (target == null || switchover != null) {
            throw new PostcopyException(ErrorCode.UNEXPECTED_MESSAGE, "DISCARD_RANGES "
                + (target == null ? "before the VM was set up" : "after SWITCHOVER"));
        }
        for (io.postcopy.protocol.PageRange range : discard.ranges()) {
            target.onDiscard(range.firstPageIndex(), range.pageCount());
        }
    }

    void onVcpuState(io.postcopy.protocol.VcpuState message) {
        VcpuState state = VcpuState.fromBytes(message.state());
        if (state.vcpuId() != message.vcpuId()) {
            throw new PostcopyException(ErrorCode.MALFORMED_FRAME, "VCPU_STATE for vCPU " + message.vcpuId()
                + " carries the state of vCPU " + state.vcpuId());
        }
        synchronized (this) {
            vcpuStates.add(state);
            vcpuStates.sort(Comparator.comparingInt(VcpuState::vcpuId));
        }
        checkResumeState();
    }

    void onDigests(io.postcopy.protocol.PageDigests message) {
        PageDigests table = sourceDigests;
        if (table == null || message.firstPageIndex() + message.size() > table.pageCount()) {
            throw new PostcopyException(ErrorCode.PAGE_OUT_OF_RANGE, "PAGE_DIGESTS for pages "
                + message.firstPageIndex() + ".." + (message.firstPageIndex() + message.size()) + " of "
                + (table == null ? 0 : table.pageCount()));
        }
        for (int i = 0; i < message.size(); i++) {
            table.recordDigest(message.firstPageIndex() + i, message.digestAt(i));
        }
        digestsReceived += message.size();
    }

    void onComplete() {
        if (sourceDigests == null || digestsReceived != sourceDigests.pageCount()) {
            fail(new PostcopyException(ErrorCode.UNEXPECTED_MESSAGE, "COMPLETE after " + digestsReceived
                + " page digests (expected: all of them first)"));
            return;
        }
        completeReceived.complete(null);
    }

    void fail(PostcopyException cause) {
        failure.completeExceptionally(cause);
    }

    /** A failure reported by a connection of {@code connectionGeneration}: ignored if that generation was lost. */
    void fail(PostcopyException cause, int connectionGeneration) {
        if (connectionGeneration == generation) {
            fail(cause);
        }
    }

    /**
     * A connection of {@code connectionGeneration} closed or went silent. Nothing once the migration finished or for
     * a generation already lost; the network loss handler if recovery is on; otherwise the session fails.
     *
     * @return true if recovery takes it (the caller closes without an ERROR frame)
     */
    boolean onConnectionLost(PostcopyException cause, int connectionGeneration) {
        if (finished || connectionGeneration != generation) {
            return true;
        }
        java.util.function.ObjIntConsumer<PostcopyException> handler = onNetworkLoss;
        if (handler == null) {
            fail(cause);
            return false;
        }
        handler.accept(cause, connectionGeneration);
        return true;
    }

    /**
     * From now on a lost connection goes to {@code handler} (recovery) instead of failing the session, with the
     * generation of the connection that reported it.
     */
    void recoverNetworkLossWith(java.util.function.ObjIntConsumer<PostcopyException> handler) {
        onNetworkLoss = handler;
    }

    /** Whether a lost connection is now recovered from rather than failing the session. */
    boolean isRecoverable() {
        return onNetworkLoss != null && !finished;
    }

    /** The current connection generation: 0, then one more after each network loss. */
    int generation() {
        return generation;
    }

    /**
     * A network loss: what connections of the current generation report from now on is ignored, and the digest
     * table starts over (the source sends it whole after the resume).
     *
     * @return the new generation
     */
    synchronized int nextGeneration() {
        digestsReceived = 0;
        return ++generation;
    }

    private synchronized void checkResumeState() {
        Switchover s = switchover;
        if (s == null || description == null || info == null || vcpuStates.size() < s.vcpuCount()) {
            return;
        }
        if (vcpuStates.size() > s.vcpuCount() || vcpuStates.getLast().vcpuId() != s.vcpuCount() - 1) {
            fail(new PostcopyException(ErrorCode.MALFORMED_FRAME, "vCPU states " + vcpuStates + " for "
                + s.vcpuCount() + " vCPUs"));
            return;
        }
        resumeStateReady.complete(null);
    }
}
