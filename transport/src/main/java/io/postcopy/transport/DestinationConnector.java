package io.postcopy.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.Features;
import io.postcopy.protocol.HandshakeRequest;
import io.postcopy.protocol.NegotiatedSession;
import io.postcopy.protocol.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Opens the destination's connections to the source, each with its handshake: CONTROL first, then URGENT and
 * BACKGROUND, and after a network loss RESUME and the others again (PROTOCOL.md sections 6 and 9). Keeps every
 * channel it opened, so that the migration closes them all at its end. Thread-safe.
 */
final class DestinationConnector {
    private static final Logger LOG = LoggerFactory.getLogger(DestinationConnector.class);

    /** One open connection and what its handshake agreed. */
    record Connection(Channel channel, NegotiatedSession terms, DestinationChannelHandler handler) {
    }

    private final DestinationOptions options;
    private final EventLoopGroup group;
    private final NettyTransport transport;
    private final DestinationSession session;
    private final long sessionId;
    private final long requestedFeatures;
    private final List<Channel> channels = new ArrayList<>();

    DestinationConnector(DestinationOptions options, EventLoopGroup group, NettyTransport transport,
                         DestinationSession session, long sessionId, long requestedFeatures) {
        this.options = options;
        this.group = group;
        this.transport = transport;
        this.session = session;
        this.sessionId = sessionId;
        this.requestedFeatures = requestedFeatures;
    }

    /**
     * Opens one connection of the session and waits up to {@code waitMs} for its handshake. CONTROL ({@code control
     * == null}) adopts the source's geometry; the others ask for CONTROL's and must be granted exactly what CONTROL
     * was. CONTROL and RESUME start the keepalive.
     *
     * @throws PostcopyException {@code PEER_GONE} if the source cannot be reached, {@code TIMEOUT} if the answer does
     *                           not come in time, the refusal's code if it refused, the session's failure if any
     */
    Connection connect(ConnectionRole role, NegotiatedSession control, int generation, long waitMs)
        throws InterruptedException {
        HandshakeRequest request = new HandshakeRequest(Protocol.MIN_SUPPORTED_VERSION, Protocol.MAX_SUPPORTED_VERSION,
            role, requestedFeatures, control == null ? 0 : control.pageSizeInBytes(),
            control == null ? 0 : control.pageCount(), sessionId);
        DestinationChannelHandler handler = new DestinationChannelHandler(request, control, session, generation);
        Bootstrap bootstrap = new Bootstrap().group(group).channel(transport.socketChannel())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, Math.min(10_000, waitMs)))
            .handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel channel) {
                    Pipelines.install(channel.pipeline(), handler);
                }
            });
        ChannelFuture connected = bootstrap.connect(options.host(), options.port()).await();
        if (!connected.isSuccess()) {
            throw new PostcopyException(ErrorCode.PEER_GONE, "cannot connect to the source at " + options.host() + ":"
                + options.port() + ": " + connected.cause().getMessage() + " (is `postcopy source` running there?)",
                connected.cause());
        }
        synchronized (channels) {
            channels.add(connected.channel());
        }
        NegotiatedSession negotiated;
        try {
            negotiated = await(handler.negotiated(), "the " + role + " handshake answer", waitMs);
        } catch (PostcopyException | InterruptedException e) {
            connected.channel().close();
            throw e;
        }
        LOG.info("{} connection: protocol v{}, features {}", role, negotiated.version(),
            Features.toString(negotiated.grantedFeatures()));
        if (role.isControl()) {
            startKeepalive(connected.channel(), generation);
        }
        return new Connection(connected.channel(), negotiated, handler);
    }

    /**
     * PINGs the source on CONTROL. A source silent past the keepalive deadline fails the migration at once, or, if
     * recovery is on, is a network loss: the connection then closes without an ERROR frame.
     */
    private void startKeepalive(Channel control, int generation) {
        control.pipeline().addFirst(KeepaliveHandler.NAME, KeepaliveHandler.pinging("the source at "
            + options.host() + ":" + options.port() + " (CONTROL connection)",
            TimeUnit.MILLISECONDS.toNanos(options.pingIntervalMs()),
            TimeUnit.MILLISECONDS.toNanos(options.keepaliveTimeoutMs()), System::nanoTime, silence -> {
                if (session.isRecoverable()) {
                    control.close();
                }
                session.onConnectionLost(silence, generation);
            }));
    }

    /** Waits for {@code future}, or the session's failure, for at most {@code waitMs}. */
    <T> T await(CompletableFuture<T> future, String what, long waitMs) throws InterruptedException {
        return await(session, future, what, waitMs);
    }

    /**
     * Waits for {@code future}, or {@code session}'s failure, for at most {@code waitMs}.
     *
     * @throws PostcopyException the session's failure as it is; {@code TIMEOUT} naming {@code what} after
     *                           {@code waitMs}; {@code INTERNAL} if the future failed with anything else
     */
    static <T> T await(DestinationSession session, CompletableFuture<T> future, String what, long waitMs)
        throws InterruptedException {
        try {
            return CompletableFuture.anyOf(future, session.failure())
                .thenApply(ignored -> future.join())
                .get(Math.max(1, waitMs), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException c ? c.getCause()
                : e.getCause();
            if (cause instanceof PostcopyException p) {
                throw p;
            }
            throw new PostcopyException(ErrorCode.INTERNAL, "waiting for " + what + ": " + cause, cause);
        } catch (TimeoutException e) {
            throw new PostcopyException(ErrorCode.TIMEOUT, "no " + what + " within " + waitMs
                + " ms; the source is stalled or unreachable");
        }
    }

    /** Closes every connection opened so far, waiting up to 2 s for each. */
    void closeAll() {
        List<Channel> all;
        synchronized (channels) {
            all = List.copyOf(channels);
        }
        for (Channel channel : all) {
            channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }
}
