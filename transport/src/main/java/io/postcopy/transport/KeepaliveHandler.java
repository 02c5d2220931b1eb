package io.postcopy.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.protocol.Ping;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Notices a peer that went silent on one connection, and optionally keeps the connection busy with PINGs
 * (PROTOCOL.md, "Keepalive"). It sits first in the pipeline, so every frame read counts as a sign of life,
 * whatever it is. Every tick it checks how long ago the last bytes arrived: past the silence deadline it reports
 * {@code TIMEOUT} (first to {@code onSilent}, then down the pipeline, where the protocol error handler sends ERROR
 * if the channel is still open, and closes it) and stops; otherwise, if it pings, it writes a PING with the next
 * nonce. The destination pings on its CONTROL connection; the source only watches its CONTROL connection for the
 * destination's PINGs.
 *
 * <p>One instance per channel; used by the channel's event loop only. Add it once the connection's handshake is
 * done (a PING before the handshake is a protocol error).
 */
final class KeepaliveHandler extends ChannelInboundHandlerAdapter {
    /** The handler's name in the pipeline. */
    static final String NAME = "keepalive";

    private final String silentPeer;
    private final long pingIntervalNs;
    private final long silenceDeadlineNs;
    private final LongSupplier nanoClock;
    private final Consumer<PostcopyException> onSilent;
    private ScheduledFuture<?> ticker;
    private long lastReadNs;
    private long nonce;
    private long pingsSinceLastRead;

    private KeepaliveHandler(String silentPeer, long pingIntervalNs, long silenceDeadlineNs, LongSupplier nanoClock,
                             Consumer<PostcopyException> onSilent) {
        if (silenceDeadlineNs <= 0 || pingIntervalNs < 0 || pingIntervalNs >= silenceDeadlineNs) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "pingIntervalNs=" + pingIntervalNs
                + ", silenceDeadlineNs=" + silenceDeadlineNs + " (expected: 0 <= interval < deadline)");
        }
        this.silentPeer = silentPeer;
        this.pingIntervalNs = pingIntervalNs;
        this.silenceDeadlineNs = silenceDeadlineNs;
        this.nanoClock = nanoClock;
        this.onSilent = onSilent;
    }

    /**
     * Pings every {@code pingIntervalNs} and reports silence after {@code silenceDeadlineNs} without a frame.
     *
     * @param silentPeer names the peer in the failure, e.g. "the source at 10.0.0.1:7000"
     * @param onSilent   called on the event loop with the {@code TIMEOUT} failure, before it goes down the pipeline
     */
    static KeepaliveHandler pinging(String silentPeer, long pingIntervalNs, long silenceDeadlineNs,
                                    LongSupplier nanoClock, Consumer<PostcopyException> onSilent) {
        if (pingIntervalNs <= 0) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "pingIntervalNs=" + pingIntervalNs
                + " (expected: > 0)");
        }
        return new KeepaliveHandler(silentPeer, pingIntervalNs, silenceDeadlineNs, nanoClock, onSilent);
    }

    /** Sends nothing; reports silence after {@code silenceDeadlineNs} without a frame (checked 4 times as often). */
    static KeepaliveHandler watching(String silentPeer, long silenceDeadlineNs, LongSupplier nanoClock,
                                     Consumer<PostcopyException> onSilent) {
        return new KeepaliveHandler(silentPeer, 0, silenceDeadlineNs, nanoClock, onSilent);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastReadNs = nanoClock.getAsLong();
        pingsSinceLastRead = 0;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    private void start(ChannelHandlerContext ctx) {
        if (ticker != null) {
            return;
        }
        lastReadNs = nanoClock.getAsLong();
        long tickNs = Math.max(TimeUnit.MILLISECONDS.toNanos(1),
            pingIntervalNs > 0 ? pingIntervalNs : silenceDeadlineNs / 4);
        ticker = ctx.executor().scheduleAtFixedRate(() -> tick(ctx), tickNs, tickNs, TimeUnit.NANOSECONDS);
    }

    private void stop() {
        if (ticker != null) {
            ticker.cancel(false);
        }
    }

    private void tick(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            stop();
            return;
        }
        long silentNs = nanoClock.getAsLong() - lastReadNs;
        if (silentNs >= silenceDeadlineNs) {
            stop();
            PostcopyException silent = new PostcopyException(ErrorCode.TIMEOUT, silentPeer + " sent nothing for "
                + TimeUnit.NANOSECONDS.toMillis(silentNs) + " ms (keepalive deadline "
                + TimeUnit.NANOSECONDS.toMillis(silenceDeadlineNs) + " ms"
                + (pingIntervalNs > 0 ? ", " + pingsSinceLastRead + " PINGs unanswered" : "")
                + "): it is stalled (a stopped or hung process) or the network between us is down");
            // The session's reaction first, so that the failure it records is this TIMEOUT and not the closed
            // connection that follows; then ERROR and close (best effort) by the protocol error handler.
            onSilent.accept(silent);
            ctx.fireExceptionCaught(silent);
            return;
        }
        if (pingIntervalNs > 0) {
            pingsSinceLastRead++;
            // Through the whole pipeline: this handler sits before the encoder.
            ctx.channel().writeAndFlush(new Ping(++nonce));
        }
    }
}
