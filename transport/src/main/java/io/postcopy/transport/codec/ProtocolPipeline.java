package io.postcopy.transport.codec;

import io.netty.channel.ChannelPipeline;
import io.postcopy.protocol.DecodeContext;

/**
 * Installs the protocol's codec stages in a channel's pipeline, in this order:
 *
 * <pre>
 * {@value #FRAME_DECODER} -> {@value #MESSAGE_DECODER} -> {@value #MESSAGE_ENCODER} -> (your handlers)
 *     -> {@value #ERROR_HANDLER}
 * </pre>
 *
 * Add handshake and business handlers with {@code pipeline.addBefore(ProtocolPipeline.ERROR_HANDLER, name,
 * handler)} so that their exceptions, too, end in an ERROR frame and a close, and their writes pass the encoder.
 * Call from the channel's initializer.
 */
public final class ProtocolPipeline {
    /** Name of the {@link FrameDecoder}. */
    public static final String FRAME_DECODER = "frameDecoder";
    /** Name of the {@link MessageDecoder}. */
    public static final String MESSAGE_DECODER = "messageDecoder";
    /** Name of the {@link MessageEncoder}. */
    public static final String MESSAGE_ENCODER = "messageEncoder";
    /** Name of the {@link ProtocolErrorHandler}. */
    public static final String ERROR_HANDLER = "protocolErrorHandler";

    private ProtocolPipeline() {
    }

    /**
     * Adds the four stages at the end of {@code pipeline}.
     *
     * @param pipeline       a channel's pipeline, usually empty
     * @param initialContext the decode context until the handshake completes, usually {@link
     *                       DecodeContext#handshake()}
     * @return the channel's message decoder, whose context the handshake handler replaces
     */
    public static MessageDecoder install(ChannelPipeline pipeline, DecodeContext initialContext) {
        MessageDecoder messageDecoder = new MessageDecoder(initialContext);
        pipeline.addLast(FRAME_DECODER, new FrameDecoder());
        pipeline.addLast(MESSAGE_DECODER, messageDecoder);
        pipeline.addLast(MESSAGE_ENCODER, MessageEncoder.INSTANCE);
        pipeline.addLast(ERROR_HANDLER, new ProtocolErrorHandler());
        return messageDecoder;
    }
}
