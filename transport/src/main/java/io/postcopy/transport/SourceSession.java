package io.postcopy.transport;

import io.netty.channel.Channel;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.migration.SourcePageServer;
import io.postcopy.engine.vm.VcpuState;
import io.postcopy.protocol.Complete;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.DeviceStateChunk;
import io.postcopy.protocol.PageDigests;
import io.postcopy.protocol.Switchover;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The source's half of one migration session, shared by its control, urgent and background connections: the frozen
 * memory's page server, the vCPU states to hand over, and the session's outcome.
 *
 * <p>Thread-safe: the three connections may run on different event loops.
 */
final class SourceSession {
    private static final Logger LOG = LoggerFactory.getLogger(SourceSession.class);
    private static final int DIGESTS_PER_FRAME = 65_536;

    private final long sessionId;
    private final SourcePageServer server;
    private final DecodeContext decodeContext;
    private final Channel control;
    private final long stopEpochNs;
    private final long stopNanoTime;
    private final List<VcpuState> vcpuStates;
    private final VmDescription description;
    private final long bandwidthBytesPerSecond;
    private final AtomicBoolean completeSent = new AtomicBoolean();
    private final CompletableFuture<SourceResult> outcome = new CompletableFuture<>();
    private volatile long allSentNanoTime;

    SourceSession(long sessionId, SourcePageServer server, DecodeContext decodeContext, Channel control,
                  long stopEpochNs, long stopNanoTime, List<VcpuState> vcpuStates, VmDescription description,
                  long bandwidthBytesPerSecond) {
        this.sessionId = sessionId;
        this.server = server;
        this.decodeContext = decodeContext;
        this.control = control;
        this.stopEpochNs = stopEpochNs;
        this.stopNanoTime = stopNanoTime;
        this.vcpuStates = vcpuStates;
        this.description = description;
        this.bandwidthBytesPerSecond = bandwidthBytesPerSecond;
        control.closeFuture().addListener(f -> onControlClosed());
    }

    long sessionId() {
        return sessionId;
    }

    SourcePageServer server() {
        return server;
    }

    DecodeContext decodeContext() {
        return decodeContext;
    }

    long bandwidthBytesPerSecond() {
        return bandwidthBytesPerSecond;
    }

    CompletableFuture<SourceResult> outcome() {
        return outcome;
    }

    /** Sends what the destination needs to resume the VM: SWITCHOVER, the machine description, every vCPU state. */
    void sendResumeState() {
        control.write(new Switchover(stopEpochNs, vcpuStates.size(), 1));
        control.write(new DeviceStateChunk(VmDescription.DEVICE_NAME, 0, true, description.toBytes()));
        for (VcpuState state : vcpuStates) {
            control.write(new io.postcopy.protocol.VcpuState(state.vcpuId(), state.toBytes()));
        }
        control.flush();
    }

    /**
     * Called after pages were delivered, from any thread. The first call that finds every page delivered sends the
     * digest table and COMPLETE on the control connection.
     */
    void afterDelivery() {
        if (!server.isAllDelivered() || !completeSent.compareAndSet(false, true)) {
            return;
        }
        allSentNanoTime = System.nanoTime();
        io.postcopy.engine.migration.PageDigests digests = server.digests();
        long pageCount = digests.pageCount();
        for (long first = 0; first < pageCount; first += DIGESTS_PER_FRAME) {
            long[] chunk = new long[(int) Math.min(DIGESTS_PER_FRAME, pageCount - first)];
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = digests.get(first + i);
            }
            control.write(new PageDigests(first, chunk));
        }
        control.writeAndFlush(new Complete());
        LOG.info("session {}: every page sent ({} demand, {} background, {} zero) in {} ms",
            Long.toHexString(sessionId), server.demandPages(), server.backgroundPages(), server.zeroPages(),
            (allSentNanoTime - stopNanoTime) / 1_000_000);
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
                + server.sentPageCount() + " of " + server.memory().pageCount() + " pages; in post-copy the "
                + "running VM is now lost (this is post-copy's known risk: restart it from a snapshot)"));
        }
    }

    @Override
    public String toString() {
        return "SourceSession[" + Long.toHexString(sessionId) + ", states=" + Arrays.toString(vcpuStates.toArray())
            + "]";
    }
}
