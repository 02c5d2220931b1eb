package io.postcopy.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.migration.ContiguousPageBatcher;
import io.postcopy.protocol.Complete;
import io.postcopy.protocol.DeviceStateChunk;
import io.postcopy.protocol.DiscardRanges;
import io.postcopy.protocol.ErrorMessage;
import io.postcopy.protocol.HandshakeAnswer;
import io.postcopy.protocol.HandshakeNegotiator;
import io.postcopy.protocol.HandshakeRequest;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.NegotiatedSession;
import io.postcopy.protocol.PageData;
import io.postcopy.protocol.PageDigests;
import io.postcopy.protocol.PageRun;
import io.postcopy.protocol.Ping;
import io.postcopy.protocol.Pong;
import io.postcopy.protocol.ProtocolErrorCode;
import io.postcopy.protocol.ProtocolException;
import io.postcopy.protocol.Switchover;
import io.postcopy.protocol.VcpuState;
import io.postcopy.transport.codec.ProtocolErrorHandler;

import java.util.concurrent.CompletableFuture;

/**
 * Every destination connection's handler: the first message must be the HANDSHAKE_ANSWER to {@code sent}; it is
 * checked (on URGENT and BACKGROUND also against what CONTROL was granted) and the decoder switches to the session's
 * context on this event loop, before the next frame. After that, pages are installed on this thread (the receiving
 * thread installs, shared/DESIGN.md) and the rest goes to the session. One instance per channel.
 */
final class DestinationChannelHandler extends SimpleChannelInboundHandler<Message> {
    private final HandshakeRequest sent;
    private final NegotiatedSession controlTerms;
    private final DestinationSession session;
    private final int generation;
    private final CompletableFuture<NegotiatedSession> negotiated = new CompletableFuture<>();
    private final CompletableFuture<Void> removed = new CompletableFuture<>();
    private ContiguousPageBatcher batcher;

    /**
     * @param sent         the handshake request this connection sends
     * @param controlTerms what the session's CONTROL connection was granted, which this connection must be granted
     *                     too; {@code null} for the CONTROL connection itself
     * @param session      the session the connection belongs to
     * @param generation   the session's connection generation this connection belongs to (0 until a network loss);
     *                     what it reports after the session moved on to a newer generation is ignored
     */
    DestinationChannelHandler(HandshakeRequest sent, NegotiatedSession controlTerms, DestinationSession session,
                              int generation) {
        this.sent = sent;
        this.controlTerms = controlTerms;
        this.session = session;
        this.generation = generation;
    }

    /** Completes when this handler has left its pipeline: no page read on its connection is installed after. */
    CompletableFuture<Void> removed() {
        return removed;
    }

    /** Completes with the negotiated session, or exceptionally if refused or the connection fails first. */
    CompletableFuture<NegotiatedSession> negotiated() {
        return negotiated;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(sent);
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        if (!negotiated.isDone()) {
            if (!(message instanceof HandshakeAnswer answer)) {
                throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE, message.type()
                    + " before the handshake answer");
            }
            NegotiatedSession accepted = HandshakeNegotiator.accept(sent, answer);
            if (controlTerms != null) {
                HandshakeNegotiator.requireSameTerms(controlTerms, accepted);
            }
            Pipelines.enterSession(ctx.pipeline(), accepted.decodeContext());
            negotiated.complete(accepted);
            return;
        }
        if (!(message instanceof PageData)) {
            flushPages();
        }
        switch (message) {
            case PageData page -> session.onPage(page, batcher());
            case PageRun run -> session.onPageRun(run, batcher());
            case Switchover switchover -> session.onSwitchover(switchover);
            case DeviceStateChunk chunk -> session.onDeviceState(chunk);
            case DiscardRanges discard -> session.onDiscard(discard);
            case VcpuState state -> session.onVcpuState(state);
            case PageDigests digests -> session.onDigests(digests);
            case Complete complete -> session.onComplete();
            case Ping ping -> ctx.writeAndFlush(new Pong(ping.nonce()));
            case Pong pong -> { }
            case ErrorMessage error -> session.fail(ControlChannelHandler.peerError(error), generation);
            default -> throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE,
                message.type() + " sent to the destination");
        }
    }

    /** This connection's batcher, made when its first page arrives (the VM is set up by then). */
    private ContiguousPageBatcher batcher() {
        if (batcher == null) {
            batcher = session.newBatcher();
        }
        return batcher;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushPages();
        ctx.fireChannelReadComplete();
    }

    /** Installs the staged run, so that nothing read so far waits for the next read. */
    private void flushPages() {
        if (batcher != null) {
            batcher.flush();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        try {
            if (batcher != null) {
                batcher.close();
                batcher = null;
            }
        } finally {
            removed.complete(null);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        PostcopyException lost = new PostcopyException(ErrorCode.PEER_GONE, sent.role()
            + " connection to the source closed" + (negotiated.isDone() ? "" : " during the handshake"));
        negotiated.completeExceptionally(lost);
        session.onConnectionLost(lost, generation);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause.getCause() instanceof ProtocolException p ? p : cause;
        PostcopyException failure = root instanceof ProtocolException p
            ? new PostcopyException(ErrorCode.fromWireValue(p.code().wireValue()), p.getMessage(), p)
            : root instanceof PostcopyException pe ? pe
            : ProtocolErrorHandler.isPeerGone(root)
                ? new PostcopyException(ErrorCode.PEER_GONE,
                    sent.role() + " connection to the source lost: " + root, root)
            : new PostcopyException(ErrorCode.INTERNAL, root.toString(), root);
        negotiated.completeExceptionally(failure);
        if (failure.code() == ErrorCode.PEER_GONE) {
            session.onConnectionLost(failure, generation);
        } else {
            session.fail(failure, generation);
        }
        ctx.fireExceptionCaught(cause);
    }
}
