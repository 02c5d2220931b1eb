package io.postcopy.transport;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.transport.codec.MessageDecoder;
import io.postcopy.transport.codec.ProtocolPipeline;

/** Builds every connection's pipeline: the protocol's codec stages around one role handler. */
final class Pipelines {
    static final String HANDLER = "handler";

    private Pipelines() {
    }

    /** Codec stages (decoding in the handshake context), then {@code handler}, then the protocol error handler. */
    static void install(ChannelPipeline pipeline, ChannelHandler handler) {
        ProtocolPipeline.install(pipeline, DecodeContext.handshake());
        pipeline.addBefore(ProtocolPipeline.ERROR_HANDLER, HANDLER, handler);
    }

    /** Switches the channel's decoder to the negotiated session's context (call on the event loop). */
    static void enterSession(ChannelPipeline pipeline, DecodeContext context) {
        ((MessageDecoder) pipeline.get(ProtocolPipeline.MESSAGE_DECODER)).setContext(context);
    }
}
