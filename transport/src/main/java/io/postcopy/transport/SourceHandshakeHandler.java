package io.postcopy.transport;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.HandshakeAnswer;
import io.postcopy.protocol.HandshakeNegotiator;
import io.postcopy.protocol.HandshakeRequest;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.NegotiatedSession;
import io.postcopy.protocol.ProtocolErrorCode;
import io.postcopy.protocol.ProtocolException;
import io.postcopy.protocol.SourceCapabilities;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The first handler of every source connection: answers the handshake, then replaces itself with the handler for
 * the connection's role. A CONTROL handshake starts the session and the watch for a silent destination; URGENT and
 * BACKGROUND handshakes join it by session id, and must be granted exactly what CONTROL was. Anything but a
 * handshake first is a protocol error. One instance per channel.
 */
final class SourceHandshakeHandler extends SimpleChannelInboundHandler<Message> {
    private static final Logger LOG = LoggerFactory.getLogger(SourceHandshakeHandler.class);

    private final SourceNode node;

    SourceHandshakeHandler(SourceNode node) {
        this.node = node;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        if (!(message instanceof HandshakeRequest request)) {
            throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE,
                message.type() + " before the handshake");
        }
        SourceCapabilities capabilities = node.capabilities();
        HandshakeAnswer answer = HandshakeNegotiator.answer(request, capabilities,
            request.role() == ConnectionRole.RESUME ? node::isResumableSession : node::isOpenSession);
        if (answer.isAccepted() && request.role() == ConnectionRole.CONTROL && node.hasSession()) {
            answer = refuse(answer, ProtocolErrorCode.UNEXPECTED_MESSAGE);
        }
        if (answer.isAccepted() && request.role() != ConnectionRole.CONTROL) {
            answer = refuseUnlessSameTerms(answer, request.role(), ctx);
        }
        if (!answer.isAccepted()) {
            LOG.warn("refused a {} handshake from {}: {}", request.role(), ctx.channel().remoteAddress(),
                answer.refusalCode());
            ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        try {
            switch (request.role()) {
                case CONTROL -> {
                    SourceSession session = node.openSession(ctx.channel(), terms(answer, request.role()));
                    enter(ctx, session, answer, new ControlChannelHandler(session));
                    watchForSilence(ctx, session);
                    session.sendVmDescription();
                }
                case RESUME -> {
                    SourceSession session = node.session();
                    HandshakeAnswer accepted = answer;
                    whenDone(ctx, session.resume(ctx.channel()), () -> {
                        enter(ctx, session, accepted, new ControlChannelHandler(session));
                        watchForSilence(ctx, session);
                    });
                }
                case URGENT -> {
                    SourceSession session = node.session();
                    HandshakeAnswer accepted = answer;
                    whenDone(ctx, session.joinable(), () -> {
                        if (session.join(ctx.channel(), request.role())) {
                            enter(ctx, session, accepted, new PageRequestHandler(session));
                        }
                    });
                }
                case BACKGROUND -> {
                    SourceSession session = node.session();
                    HandshakeAnswer accepted = answer;
                    whenDone(ctx, session.joinable(), () -> {
                        if (session.join(ctx.channel(), request.role())) {
                            BackgroundStreamHandler stream = new BackgroundStreamHandler(session);
                            enter(ctx, session, accepted, stream);
                            stream.start(ctx.pipeline().context(stream));
                        }
                    });
                }
                default -> throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE,
                    "role " + request.role());
            }
        } catch (PostcopyException e) {
            ctx.writeAndFlush(refuse(answer, ProtocolErrorCode.fromWireValue(e.code().wireValue())))
                .addListener(ChannelFutureListener.CLOSE);
            throw e;
        }
    }

    /**
     * Answers the handshake once {@code ready} completes, on the channel's event loop: URGENT and BACKGROUND after a
     * network loss wait for the resumed session's bitmap, RESUME for the lost connections to close (PROTOCOL.md
     * section 9; the destination sends nothing else before the answer). A session that ends meanwhile closes it.
     */
    private static void whenDone(ChannelHandlerContext ctx, java.util.concurrent.CompletableFuture<Void> ready,
                                 Runnable answer) {
        ready.whenComplete((ignored, failure) -> ctx.executor().execute(() -> {
            if (failure != null || !ctx.channel().isActive()) {
                ctx.close();
            } else {
                answer.run();
            }
        }));
    }

    /**
     * An URGENT or BACKGROUND connection must be granted exactly what the session's CONTROL connection was (a
     * destination that asked for other features on it is refused), PROTOCOL.md section 6.
     */
    private HandshakeAnswer refuseUnlessSameTerms(HandshakeAnswer answer, ConnectionRole role,
                                                  ChannelHandlerContext ctx) {
        SourceSession session = node.openSessionOrNull();
        if (session == null) {
            return refuse(answer, ProtocolErrorCode.SESSION_MISMATCH);
        }
        try {
            HandshakeNegotiator.requireSameTerms(session.terms(), terms(answer, role));
            return answer;
        } catch (ProtocolException e) {
            LOG.warn("refusing a {} connection from {}: {}", role, ctx.channel().remoteAddress(), e.getMessage());
            return refuse(answer, e.code());
        }
    }

    private static NegotiatedSession terms(HandshakeAnswer answer, ConnectionRole role) {
        return new NegotiatedSession(answer.acceptedVersion(), role, answer.sessionId(), answer.grantedFeatures(),
            answer.pageSizeInBytes(), answer.pageCount());
    }

    /** The destination pings CONTROL; a destination silent past the source's idle deadline fails the session. */
    private void watchForSilence(ChannelHandlerContext ctx, SourceSession session) {
        ctx.pipeline().addFirst(KeepaliveHandler.NAME, KeepaliveHandler.watching("the destination at "
            + ctx.channel().remoteAddress() + " (CONTROL connection, which it should PING)",
            TimeUnit.MILLISECONDS.toNanos(node.options().peerIdleTimeoutMs()), System::nanoTime,
            session::onDestinationSilent));
    }

    private static void enter(ChannelHandlerContext ctx, SourceSession session, HandshakeAnswer answer,
                              io.netty.channel.ChannelHandler roleHandler) {
        Pipelines.enterSession(ctx.pipeline(), session.decodeContext());
        ctx.pipeline().replace(ctx.handler(), Pipelines.HANDLER, roleHandler);
        ctx.writeAndFlush(answer);
    }

    private static HandshakeAnswer refuse(HandshakeAnswer accepted, ProtocolErrorCode code) {
        return new HandshakeAnswer(code.wireValue(), accepted.acceptedVersion(), accepted.sessionId(), 0,
            accepted.pageSizeInBytes(), accepted.pageCount());
    }
}
