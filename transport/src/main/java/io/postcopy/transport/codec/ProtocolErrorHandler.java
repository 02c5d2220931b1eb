package io.postcopy.transport.codec;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.protocol.ErrorMessage;
import io.postcopy.protocol.ProtocolErrorCode;
import io.postcopy.protocol.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Last inbound stage: turns any exception that reaches it into the protocol's reaction (PROTOCOL.md, "Errors"):
 * send one ERROR frame with the failure's code, best effort, then close the connection. Exceptions after the first
 * are only logged. An {@link IOException} (the peer is gone) closes without writing.
 *
 * <p>The code is taken from the first {@link ProtocolException} or {@link PostcopyException} in the cause chain
 * (their numbers are the same); a {@code TooLongFrameException} is {@code FRAME_TOO_LARGE}, any other decoder
 * failure {@code MALFORMED_FRAME}, anything else {@code INTERNAL}.
 *
 * <p>Stateful: one instance per channel, used by the channel's event loop only. It writes through its own
 * context, so the {@link MessageEncoder} must sit before it in the pipeline.
 */
public final class ProtocolErrorHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ProtocolErrorHandler.class);

    private boolean reported;

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (reported) {
            LOG.debug("{}: further failure while closing", ctx.channel(), cause);
            return;
        }
        reported = true;
        if (isPeerGone(cause)) {
            LOG.info("{}: connection lost: {}", ctx.channel(), cause.toString());
            ctx.close();
            return;
        }
        ErrorMessage error = toErrorMessage(cause);
        if (error.code() == ProtocolErrorCode.INTERNAL) {
            LOG.warn("{}: closing after an unexpected failure", ctx.channel(), cause);
        } else {
            // Bad input from the peer is its bug, not ours: one line, no stack trace.
            LOG.warn("{}: closing after {}: {}", ctx.channel(), error.code(), error.text());
        }
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    /** The ERROR message that reports {@code cause} to the peer. Pure; visible for the transport's other handlers. */
    public static ErrorMessage toErrorMessage(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ProtocolException e) {
                return ErrorMessage.of(e.code(), e.detail());
            }
            if (t instanceof PostcopyException e) {
                return ErrorMessage.of(ProtocolErrorCode.fromWireValue(e.code().wireValue()), e.getMessage());
            }
            if (t instanceof TooLongFrameException e) {
                return ErrorMessage.of(ProtocolErrorCode.FRAME_TOO_LARGE, e.getMessage());
            }
            if (t instanceof CorruptedFrameException e) {
                return ErrorMessage.of(ProtocolErrorCode.MALFORMED_FRAME, e.getMessage());
            }
        }
        if (cause instanceof DecoderException) {
            return ErrorMessage.of(ProtocolErrorCode.MALFORMED_FRAME, String.valueOf(cause.getMessage()));
        }
        return ErrorMessage.of(ProtocolErrorCode.INTERNAL, cause.getClass().getSimpleName());
    }

    /**
     * Whether a pipeline failure means the peer went away (reset, broken pipe, closed socket) rather than
     * that it sent something wrong or that this side failed.
     *
     * @param cause what the pipeline reported
     * @return {@code true} for an I/O failure of the connection itself
     */
    public static boolean isPeerGone(Throwable cause) {
        return cause instanceof IOException;
    }
}
