package io.postcopy.transport;

import io.netty.channel.ChannelPipeline;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.transport.codec.FrameDecoder;
import io.postcopy.transport.codec.MessageDecoder;
import io.postcopy.transport.codec.MessageEncoder;
import io.postcopy.transport.codec.ProtocolErrorHandler;

/** Installs the protocol's codec stages: framing, then message decoding, then the caller's handlers. */
final class Pipelines {
    static final String DECODER = "decoder";
    static final String HANDLER = "handler";

    private Pipelines() {
    }

    /** Framing, decoding (in the handshake context), encoding, then {@code handler}, then the error handler. */
    static void install(ChannelPipeline pipeline, io.netty.channel.ChannelHandler handler) {
        pipeline.addLast("frames", new FrameDecoder());
        pipeline.addLast(DECODER, new MessageDecoder(DecodeContext.handshake()));
        pipeline.addLast("encoder", MessageEncoder.INSTANCE);
        pipeline.addLast(HANDLER, handler);
        pipeline.addLast("errors", new ProtocolErrorHandler());
    }

    /** Switches the channel's decoder to the negotiated session's context. */
    static void enterSession(ChannelPipeline pipeline, DecodeContext context) {
        ((MessageDecoder) pipeline.get(DECODER)).setContext(context);
    }
}
