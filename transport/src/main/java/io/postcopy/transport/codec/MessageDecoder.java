package io.postcopy.transport.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.MessageCodec;
import io.postcopy.protocol.ProtocolException;

import java.util.List;

/**
 * Second inbound stage: decodes each frame from {@link FrameDecoder} into a {@link Message} with {@link
 * MessageCodec#decode}, in the channel's current {@link DecodeContext}. The frame is released after decoding; a
 * {@link io.postcopy.protocol.PageData} keeps its own slice of it and is released by whoever consumes it.
 *
 * <p>A bad frame fails with a {@link ProtocolException} (wrapped by Netty in a {@code DecoderException}); after the
 * first failure every later frame is dropped, so that nothing behind a protocol error reaches the business logic.
 *
 * <p>Stateful: one instance per channel. {@link #setContext} may be called from any thread, but the handshake
 * handler calls it from the event loop while it handles the handshake message, so that the very next frame already
 * decodes in the session's context.
 */
public final class MessageDecoder extends MessageToMessageDecoder<ByteBuf> {
    private volatile DecodeContext context;
    private boolean failed;

    /**
     * @param initialContext usually {@link DecodeContext#handshake()}
     */
    public MessageDecoder(DecodeContext initialContext) {
        super(ByteBuf.class);
        this.context = initialContext;
    }

    /** Replaces the decode context, typically with {@code NegotiatedSession.decodeContext()}. */
    public void setContext(DecodeContext newContext) {
        this.context = newContext;
    }

    /** The current decode context. */
    public DecodeContext context() {
        return context;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        if (failed) {
            return;
        }
        try {
            out.add(MessageCodec.decode(frame, context));
        } catch (ProtocolException e) {
            failed = true;
            throw e;
        }
    }
}
