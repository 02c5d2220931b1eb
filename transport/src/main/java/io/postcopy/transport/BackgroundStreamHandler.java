package io.postcopy.transport;

import io.netty.channel.ChannelHandlerContext;
import io.postcopy.engine.memory.PageBitmap;
import io.postcopy.engine.migration.MigrationMode;
import io.postcopy.engine.migration.SourcePageServer;
import io.postcopy.engine.port.PageOrigin;
import io.postcopy.protocol.Feature;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.PageRequest;

import java.util.concurrent.TimeUnit;

/**
 * The source's background connection: the migration stream. In hybrid and precopy modes it first runs precopy
 * rounds while the VM runs (round 1 sends every page, each later round the pages dirtied meanwhile), asks the
 * {@link PrecopyPolicy} after each round, then performs the switchover; in post-copy it switches over at once.
 * After switchover it streams every page not yet sent.
 *
 * <p>Contiguous pages go out as runs (one PAGE_RUN frame each, zero and non-zero stretches apart, when the session
 * granted {@link Feature#PAGE_RUNS}), so that the destination installs a run at once.
 *
 * <p>Work is done in small batches, each ending with a flush and a yield of the event loop, as fast as the socket
 * drains ({@link io.netty.channel.Channel#isWritable()} is the back-pressure) and no faster than the optional
 * bandwidth cap. Prefetch requests that arrive here are served first. Used by its channel's event loop only.
 */
final class BackgroundStreamHandler extends PageRequestHandler {
    private static final int PAGES_PER_BATCH = 64;
    /** Longest run of contiguous pages sent as one PAGE_RUN frame (one install on the destination). */
    private static final int RUN_BYTES = 256 * 1024;

    private enum Phase { PRECOPY, POSTCOPY, FINISHED }

    private final SourceSession session;
    private final BandwidthLimiter limiter;
    private final PrecopyPolicy policy;
    private final int maxRunPages;
    private ChannelHandlerContext context;
    private ChannelPageSink sink;
    private boolean pumpScheduled;
    private Phase phase;
    private PageBitmap roundPages;
    private long roundCursor;
    private int roundsDone;
    private long roundStartNs;
    private long roundPagesSent;
    private long previousDirty = Long.MAX_VALUE;

    BackgroundStreamHandler(SourceSession session) {
        super(session);
        this.session = session;
        this.limiter = new BandwidthLimiter(session.options().bandwidthBytesPerSecond(), System.nanoTime());
        this.policy = new PrecopyPolicy(session.options().mode(), session.options().hybridRounds(),
            session.options().maxPrecopyRounds(), TimeUnit.MILLISECONDS.toNanos(session.options().downtimeBudgetMs()));
        // A capped stream's runs are no longer than its burst, so that it never sends more at once than that.
        this.maxRunPages = (int) Math.max(1, Math.min(RUN_BYTES, limiter.burstBytes())
            / session.server().memory().pageSize());
    }

    /** Starts the stream; called on the channel's event loop once the handshake answer is written. */
    void start(ChannelHandlerContext ctx) {
        this.context = ctx;
        this.sink = new ChannelPageSink(ctx.channel(), session.decodeContext());
        if (session.hasSwitchedOver()) {
            // A BACKGROUND connection that rejoins a resumed session (PROTOCOL.md section 9): the stream goes on.
            phase = Phase.POSTCOPY;
        } else if (session.options().mode() == MigrationMode.POSTCOPY) {
            // Even post-copy pre-copies the devices' state (VFIO PRE_COPY): only what changes in between is left
            // for the stop-and-copy inside the downtime.
            session.startDevicePrecopy();
            session.sendPrecopyDeviceState(ctx.channel());
            session.switchover(ctx.channel(), 0, true);
            phase = Phase.POSTCOPY;
        } else {
            session.dirtyLog().startTracking();
            session.startDevicePrecopy();
            startRound(null);
            phase = Phase.PRECOPY;
        }
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
        if (!pumpScheduled && phase != Phase.FINISHED && context != null) {
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
        while (sent < PAGES_PER_BATCH && context.channel().isWritable() && phase != Phase.FINISHED) {
            long waitNs = limiter.acquire(pageSize, System.nanoTime());
            if (waitNs > 0) {
                pumpScheduled = true;
                context.executor().schedule(this::pump, waitNs, TimeUnit.NANOSECONDS);
                break;
            }
            int maxPages = Math.min(maxRunPages, PAGES_PER_BATCH - sent);
            if (phase == Phase.PRECOPY) {
                long pageIndex = nextRoundPage();
                if (pageIndex < 0) {
                    endRound(pageSize);
                    continue;
                }
                int count = extendRound(pageIndex, maxPages);
                limiter.charge((long) (count - 1) * pageSize);
                server.sendPrecopyRun(pageIndex, count, sink);
                roundPagesSent += count;
                sent += count;
            } else {
                long pageIndex = server.claimNextUnsent();
                if (pageIndex < 0) {
                    phase = Phase.FINISHED;
                    break;
                }
                int count = server.claimFollowing(pageIndex, maxPages);
                limiter.charge((long) (count - 1) * pageSize);
                server.deliverRun(pageIndex, count, sink, PageOrigin.BACKGROUND);
                sent += count;
            }
        }
        if (sent > 0) {
            context.flush();
            session.afterDelivery();
        }
        if (phase != Phase.FINISHED && !pumpScheduled && context.channel().isWritable()) {
            schedulePump();
        }
    }

    /** The next page of the current round, or -1 when the round is over. Round 1 ({@code null}) is every page. */
    private long nextRoundPage() {
        long pageCount = session.server().memory().pageCount();
        if (roundPages == null) {
            return roundCursor < pageCount ? roundCursor++ : -1;
        }
        long next = roundPages.nextSet(roundCursor);
        roundCursor = next < 0 ? pageCount : next + 1;
        return next;
    }

    /**
     * Extends the round's page {@code first} (just returned by {@link #nextRoundPage}) with the pages right after
     * it that belong to the round, up to {@code maxPages} in all, and moves the round's cursor past them.
     *
     * @return the run's length, at least 1
     */
    private int extendRound(long first, int maxPages) {
        long pageCount = session.server().memory().pageCount();
        int count = 1;
        while (count < maxPages && first + count < pageCount
            && (roundPages == null || roundPages.lvIsSet(first + count))) {
            count++;
        }
        roundCursor = first + count;
        return count;
    }

    private void startRound(PageBitmap pages) {
        roundPages = pages;
        roundCursor = 0;
        roundStartNs = System.nanoTime();
        roundPagesSent = 0;
    }

    private void endRound(int pageSize) {
        roundsDone++;
        session.sendPrecopyDeviceState(context.channel());
        long dirty = session.dirtyLog().dirtyPageCount();
        double seconds = Math.max(1e-6, (System.nanoTime() - roundStartNs) / 1e9);
        double bytesPerSecond = roundPagesSent * (double) pageSize / seconds;
        PrecopyPolicy.Decision decision = policy.afterRound(roundsDone, dirty, previousDirty, bytesPerSecond,
            pageSize, session.switchoverAsked());
        previousDirty = dirty;
        if (decision == PrecopyPolicy.Decision.NEXT_ROUND) {
            PageBitmap next = new PageBitmap(session.server().memory().pageCount());
            session.dirtyLog().readAndClear(next::casSet);
            startRound(next);
            return;
        }
        context.flush();
        session.switchover(context.channel(), roundsDone, decision != PrecopyPolicy.Decision.GIVE_UP);
        phase = Phase.POSTCOPY;
    }
}
