package io.postcopy.transport.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.postcopy.protocol.Protocol;
import io.postcopy.protocol.ProtocolErrorCode;
import io.postcopy.protocol.ProtocolException;

import java.nio.ByteOrder;

/**
 * First inbound stage: cuts the byte stream into frames at the big-endian u32 length field and hands on each frame
 * without its length field (the u8 type and the body) as a retained slice, which the next stage releases. The
 * slice may span several of the buffers the socket was read into ({@code nioBufferCount() > 1}): they are
 * chained, not merged.
 *
 * <p>A length above {@link Protocol#MAX_FRAME_LENGTH} fails at once, before the body arrives (fail fast), as a
 * {@link ProtocolException} with {@link ProtocolErrorCode#FRAME_TOO_LARGE}. After the first failure the decoder
 * discards everything that follows: the connection is being closed and no later frame may be acted on.
 *
 * <p>Stateful: one instance per channel, used by the channel's event loop only.
 */
public final class FrameDecoder extends LengthFieldBasedFrameDecoder {
    private boolean failed;

    /** A decoder for the protocol's framing. */
    public FrameDecoder() {
        super(ByteOrder.BIG_ENDIAN, Protocol.LENGTH_FIELD_SIZE_IN_BYTES + Protocol.MAX_FRAME_LENGTH, 0,
            Protocol.LENGTH_FIELD_SIZE_IN_BYTES, 0, Protocol.LENGTH_FIELD_SIZE_IN_BYTES, true);
        // Bytes left over from one read are not copied into a bigger buffer when the next read arrives: the
        // reads are chained. A frame that spans reads is a slice over several buffers, whose content (page runs
        // of 256 KiB) the receiver installs part by part, straight from the buffers the socket filled.
        setCumulator(COMPOSITE_CUMULATOR);
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return null;
        }
        try {
            return super.decode(ctx, in);
        } catch (TooLongFrameException e) {
            throw fail(in, new ProtocolException(ProtocolErrorCode.FRAME_TOO_LARGE, "frame length above "
                + Protocol.MAX_FRAME_LENGTH + " bytes (" + e.getMessage() + ")", e));
        } catch (CorruptedFrameException e) {
            throw fail(in, new ProtocolException(ProtocolErrorCode.MALFORMED_FRAME, e.getMessage(), e));
        }
    }

    private ProtocolException fail(ByteBuf in, ProtocolException failure) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return failure;
    }
}
