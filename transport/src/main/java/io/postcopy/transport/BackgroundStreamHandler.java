package io.postcopy.transport;

import io.netty.channel.ChannelHandlerContext;
import io.postcopy.engine.migration.SourcePageServer;
import io.postcopy.engine.port.PageOrigin;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.PageRequest;

import java.util.concurrent.TimeUnit;

/**
 * The source's background connection: streams every page not yet sent, in small batches that each end with a
 * flush and yield the event loop (so other work on it is never held up for long), as fast as the socket drains
 * ({@link io.netty.channel.Channel#isWritable()} is the back-pressure) and no faster than the optional bandwidth
 * cap. Prefetch requests that arrive here are served first. Used by its channel's event loop only.
 */
final class BackgroundStreamHandler extends PageRequestHandler {
    private static final int PAGES_PER_BATCH = 32;

    private final SourceSession session;
    private final BandwidthLimiter limiter;
    private ChannelHandlerContext context;
    private ChannelPageSink sink;
    private boolean pumpScheduled;
    private boolean finished;

    BackgroundStreamHandler(SourceSession session) {
        super(session);
        this.session = session;
        this.limiter = new BandwidthLimiter(session.bandwidthBytesPerSecond(), System.nanoTime());
    }

    /** Starts streaming; called on the channel's event loop once the handshake answer is written. */
    void start(ChannelHandlerContext ctx) {
        this.context = ctx;
        this.sink = new ChannelPageSink(ctx.channel());
        schedulePump();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        super.channelRead0(ctx, message);
        if (message instanceof PageRequest) {
            schedulePump();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            schedulePump();
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void schedulePump() {
        if (!pumpScheduled && !finished && context != null) {
            pumpScheduled = true;
            context.executor().execute(this::pump);
        }
    }

    private void pump() {
        pumpScheduled = false;
        if (!context.channel().isActive()) {
            return;
        }
        SourcePageServer server = session.server();
        int pageSize = server.memory().pageSize();
        int sent = 0;
        while (sent < PAGES_PER_BATCH && context.channel().isWritable()) {
            long waitNs = limiter.acquire(pageSize, System.nanoTime());
            if (waitNs > 0) {
                pumpScheduled = true;
                context.executor().schedule(this::pump, waitNs, TimeUnit.NANOSECONDS);
                break;
            }
            long pageIndex = server.claimNextUnsent();
            if (pageIndex < 0) {
                finished = true;
                break;
            }
            server.deliver(pageIndex, sink, PageOrigin.BACKGROUND);
            sent++;
        }
        if (sent > 0) {
            context.flush();
            session.afterDelivery();
        }
        if (!finished && !pumpScheduled && context.channel().isWritable()) {
            schedulePump();
        }
    }
}
