package io.postcopy.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.postcopy.protocol.ErrorMessage;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.PageRequest;
import io.postcopy.protocol.Ping;
import io.postcopy.protocol.Pong;
import io.postcopy.protocol.ProtocolErrorCode;
import io.postcopy.protocol.ProtocolException;

/**
 * The source's urgent connection: each PAGE_REQUEST is answered on this same connection, by this event loop
 * thread, straight from frozen memory (no handoff, never behind background pages). A page already sent is not sent
 * again: it is in flight on the background connection. Page indexes were range-checked by the decoder.
 */
class PageRequestHandler extends SimpleChannelInboundHandler<Message> {
    private final SourceSession session;
    private ChannelPageSink sink;

    PageRequestHandler(SourceSession session) {
        this.session = session;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        sink = new ChannelPageSink(ctx.channel(), session.decodeContext());
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message message) {
        switch (message) {
            case PageRequest request -> {
                boolean sent = false;
                for (int i = 0; i < request.size(); i++) {
                    sent |= session.server().serveDemand(request.pageIndexAt(i), sink);
                }
                if (sent) {
                    ctx.flush();
                    session.afterDelivery();
                }
            }
            case Ping ping -> ctx.writeAndFlush(new Pong(ping.nonce()));
            case ErrorMessage error -> session.fail(ControlChannelHandler.peerError(error));
            default -> throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE,
                message.type() + " on the source's page request connection");
        }
    }
}
