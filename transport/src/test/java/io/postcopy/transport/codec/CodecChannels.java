package io.postcopy.transport.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.ErrorMessage;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.MessageCodec;
import io.postcopy.protocol.Protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Test helpers around an EmbeddedChannel with the protocol pipeline installed. */
final class CodecChannels {
    private CodecChannels() {
    }

    static EmbeddedChannel channel(DecodeContext context) {
        EmbeddedChannel channel = new EmbeddedChannel();
        ProtocolPipeline.install(channel.pipeline(), context);
        return channel;
    }

    /** Reads the one frame the channel wrote, decodes it and releases it. */
    static Message readOutboundMessage(EmbeddedChannel channel) {
        ByteBuf frame = channel.readOutbound();
        assertNotNull(frame, "nothing was written");
        try {
            int lengthField = frame.getInt(frame.readerIndex());
            assertEquals(frame.readableBytes() - Protocol.LENGTH_FIELD_SIZE_IN_BYTES, lengthField);
            frame.skipBytes(Protocol.LENGTH_FIELD_SIZE_IN_BYTES);
            return MessageCodec.decode(frame, DecodeContext.handshake());
        } finally {
            frame.release();
        }
    }

    /** Asserts that the channel wrote exactly one ERROR frame and returns it. */
    static ErrorMessage readOutboundError(EmbeddedChannel channel) {
        ErrorMessage error = (ErrorMessage) readOutboundMessage(channel);
        assertNull(channel.readOutbound(), "more than one frame was written");
        return error;
    }
}
