package io.postcopy.transport.codec;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.MessageCodec;

import java.util.List;

/**
 * Outbound stage: encodes each {@link Message} into one frame with {@link MessageCodec#encode(Message,
 * io.netty.buffer.ByteBufAllocator)}. A RAW {@link io.postcopy.protocol.PageData} becomes a composite of a small
 * header and a retained slice of the page (no copy); the message itself is released after encoding, so a writer
 * hands its PageData over and does not release it again.
 *
 * <p>A message too large for one frame fails the write's promise ({@code EncoderException} caused by a {@link
 * io.postcopy.protocol.ProtocolException} with {@code FRAME_TOO_LARGE}); nothing is written for it.
 *
 * <p>Stateless and {@link ChannelHandler.Sharable sharable}: one instance may serve every channel.
 */
@ChannelHandler.Sharable
public final class MessageEncoder extends MessageToMessageEncoder<Message> {
    /** The shared instance. */
    public static final MessageEncoder INSTANCE = new MessageEncoder();

    private MessageEncoder() {
        super(Message.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message message, List<Object> out) {
        out.add(MessageCodec.encode(message, ctx.alloc()));
    }
}
