package io.postcopy.transport;

import io.netty.channel.Channel;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.migration.SourcePageServer;
import io.postcopy.protocol.ProtocolErrorCode;
import io.postcopy.protocol.ProtocolException;
import io.postcopy.protocol.ReceivedBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The source's side of recovery after a network loss (PROTOCOL.md section 9), for one session: the state machine
 * CONNECTED -> WAITING (the network was lost; a deadline runs) -> RESUMING (a RESUME connection was accepted; its
 * RECEIVED_BITMAP frames arrive) -> CONNECTED (the bitmap covered every page: URGENT and BACKGROUND connections
 * may join again). A deadline that expires in WAITING or RESUMING fails the session; the session then keeps the VM
 * paused as after any failure after switchover.
 *
 * <p>Thread-safe: called from the session's connections' event loops, under this object's lock.
 */
final class SourceRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(SourceRecovery.class);

    private enum State { CONNECTED, WAITING, RESUMING }

    private final long sessionId;
    private final long resumeWaitMs;
    private final SourcePageServer server;
    private State state = State.CONNECTED;
    private CompletableFuture<Void> joinable = CompletableFuture.completedFuture(null);
    private CompletableFuture<Void> lostConnectionsClosed = CompletableFuture.completedFuture(null);
    private ScheduledFuture<?> expiry;
    private long nextBitmapPage;
    private long pagesToResend;
    private int recoveries;

    /**
     * @param resumeWaitMs how long after a loss the destination has to resume the session (and send its whole
     *                     bitmap), > 0
     */
    SourceRecovery(long sessionId, long resumeWaitMs, SourcePageServer server) {
        this.sessionId = sessionId;
        this.resumeWaitMs = resumeWaitMs;
        this.server = server;
    }

    /**
     * The network of the session was lost: {@code lost} are the connections of the lost generation, which the caller
     * closes. The first loss of a wait starts the deadline, at whose end {@code onExpiry} fails the session; a loss
     * while already waiting (a RESUME connection lost too) keeps the deadline running.
     */
    synchronized void onLoss(PostcopyException cause, List<Channel> lost, ScheduledExecutorService timer,
                             Runnable onExpiry) {
        lostConnectionsClosed = CompletableFuture.allOf(lost.stream()
            .map(c -> {
                CompletableFuture<Void> closed = new CompletableFuture<>();
                c.closeFuture().addListener(f -> closed.complete(null));
                return closed;
            }).toArray(CompletableFuture[]::new));
        if (state == State.CONNECTED) {
            joinable = new CompletableFuture<>();
            try {
                expiry = timer.schedule(onExpiry, resumeWaitMs, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // The source is shutting down: there is nothing to wait for.
                onExpiry.run();
                return;
            }
            LOG.warn("session {}: network lost after switchover ({}); waiting up to {} ms for the destination to "
                + "resume it, the VM stays paused here", Long.toHexString(sessionId), cause.getMessage(), resumeWaitMs);
        }
        state = State.WAITING;
        nextBitmapPage = 0;
        pagesToResend = 0;
    }

    /** True while the session waits for the destination (or reads its bitmap). */
    synchronized boolean isRecovering() {
        return state != State.CONNECTED;
    }

    /**
     * A RESUME handshake was accepted. Completes once every connection of the lost generation has closed: from then
     * on nothing of it serves a page, and the bitmap can be taken as the truth.
     */
    synchronized CompletableFuture<Void> onResume() {
        if (state != State.WAITING) {
            throw new PostcopyException(ErrorCode.UNEXPECTED_MESSAGE, "RESUME while " + state);
        }
        state = State.RESUMING;
        return lostConnectionsClosed;
    }

    /**
     * One RECEIVED_BITMAP frame on the RESUME connection; frames must come in page order, starting at page 0, each
     * starting where the previous one ended.
     *
     * @return true if this frame completed the bitmap: the session is connected again
     * @throws ProtocolException {@code UNEXPECTED_MESSAGE} outside a resume, or for a frame out of order
     */
    synchronized boolean onBitmap(ReceivedBitmap bitmap) {
        if (state != State.RESUMING) {
            throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE, "RECEIVED_BITMAP while " + state
                + " (expected: only on a RESUME connection, before URGENT and BACKGROUND rejoin)");
        }
        if (bitmap.firstPageIndex() != nextBitmapPage) {
            throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE, "RECEIVED_BITMAP firstPageIndex="
                + bitmap.firstPageIndex() + " (expected: " + nextBitmapPage + ", frames in page order)");
        }
        pagesToResend += server.adoptReceived(bitmap.firstPageIndex(), bitmap.words());
        nextBitmapPage += (long) bitmap.size() * Long.SIZE;
        if (nextBitmapPage < server.memory().pageCount()) {
            return false;
        }
        state = State.CONNECTED;
        expiry.cancel(false);
        recoveries++;
        LOG.info("session {} resumed (recovery {}): the destination holds {} of {} pages, {} sent before the loss "
            + "never arrived and go out again", Long.toHexString(sessionId), recoveries, server.sentPageCount(),
            server.memory().pageCount(), pagesToResend);
        joinable.complete(null);
        return true;
    }

    /**
     * Completes when URGENT and BACKGROUND connections may join: at once while connected, else when the bitmap is
     * complete; exceptionally if the session ends first.
     */
    synchronized CompletableFuture<Void> joinable() {
        return joinable;
    }

    /** The session ended: the deadline stops, and connections waiting to join are refused. */
    synchronized void onEnded(PostcopyException failure) {
        if (expiry != null) {
            expiry.cancel(false);
        }
        joinable.completeExceptionally(failure);
    }

    /** Network losses this session recovered from. */
    synchronized int recoveries() {
        return recoveries;
    }
}
