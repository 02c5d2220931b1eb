package io.postcopy.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.protocol.ErrorMessage;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.Ping;
import io.postcopy.protocol.Pong;
import io.postcopy.protocol.ProtocolErrorCode;
import io.postcopy.protocol.ProtocolException;
import io.postcopy.protocol.ReceivedBitmap;

/**
 * The source's control connection after the handshake (CONTROL, or RESUME after a network loss): answers PING,
 * turns the destination's ERROR into the session's failure, hands a resumed session's RECEIVED_BITMAP to it, refuses
 * anything else. The session itself writes SWITCHOVER, states, digests and COMPLETE.
 */
final class ControlChannelHandler extends SimpleChannelInboundHandler<Message> {
    private final SourceSession session;

    ControlChannelHandler(SourceSession session) {
        this.session = session;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        switch (message) {
            case Ping ping -> ctx.writeAndFlush(new Pong(ping.nonce()));
            case Pong pong -> { }
            case ReceivedBitmap bitmap -> session.onReceivedBitmap(bitmap);
            case ErrorMessage error -> session.fail(peerError(error));
            default -> throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE,
                message.type() + " on the control connection of the source");
        }
    }

    static PostcopyException peerError(ErrorMessage error) {
        return new PostcopyException(ErrorCode.fromWireValue(error.codeWireValue()), "the peer reported: "
            + error.text());
    }
}
