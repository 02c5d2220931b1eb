package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * Encodes messages to frames and decodes one delimited frame to a message (PROTOCOL.md). Pure, stateless and
 * thread-safe; the Netty stages in the transport module are thin wrappers around it.
 *
 * <p>A frame on the wire is {@code u32 length | u8 type | body}, where {@code length} counts the type byte and the
 * body (at most {@link Protocol#MAX_FRAME_LENGTH}), all big-endian.
 */
public final class MessageCodec {
    private static final int PAGE_DATA_HEADER_LENGTH_IN_BYTES = Protocol.LENGTH_FIELD_SIZE_IN_BYTES
        + Protocol.TYPE_FIELD_SIZE_IN_BYTES + PageData.FIXED_BODY_LENGTH_IN_BYTES;
    private static final int PAGE_RUN_HEADER_LENGTH_IN_BYTES = Protocol.LENGTH_FIELD_SIZE_IN_BYTES
        + Protocol.TYPE_FIELD_SIZE_IN_BYTES + PageRun.FIXED_BODY_LENGTH_IN_BYTES;

    private MessageCodec() {
    }

    /**
     * The value of the length field of {@code message}'s frame: 1 (type byte) plus the body length.
     *
     * @throws ProtocolException {@link ProtocolErrorCode#FRAME_TOO_LARGE} if it exceeds the maximum
     */
    public static int frameLength(Message message) {
        long frameLength = Protocol.TYPE_FIELD_SIZE_IN_BYTES + BodyEncoder.bodyLengthInBytes(message);
        if (frameLength > Protocol.MAX_FRAME_LENGTH) {
            throw new ProtocolException(ProtocolErrorCode.FRAME_TOO_LARGE, message.type() + ": frame length "
                + frameLength + " (expected: <= " + Protocol.MAX_FRAME_LENGTH + ")");
        }
        return (int) frameLength;
    }

    /**
     * Encodes {@code message} as one whole frame, length field included. A RAW PAGE_DATA or PAGE_RUN becomes a
     * composite of a small header and a retained slice of its content (no copy); everything else one exact-size
     * buffer.
     *
     * <p>Ownership: the returned buffer belongs to the caller. {@code message} is not released: a PageData or
     * PageRun keeps its own reference, which its owner still releases.
     *
     * @throws ProtocolException {@link ProtocolErrorCode#FRAME_TOO_LARGE} before anything is allocated
     */
    public static ByteBuf encode(Message message, ByteBufAllocator allocator) {
        int frameLength = frameLength(message);
        if (message instanceof PageData page && page.encoding() == PageEncoding.RAW) {
            return headerAndContent(message, frameLength, PAGE_DATA_HEADER_LENGTH_IN_BYTES, page.content(), allocator);
        }
        if (message instanceof PageRun run && run.encoding() == PageEncoding.RAW) {
            return headerAndContent(message, frameLength, PAGE_RUN_HEADER_LENGTH_IN_BYTES, run.content(), allocator);
        }
        ByteBuf frame = allocator.buffer(Protocol.LENGTH_FIELD_SIZE_IN_BYTES + frameLength);
        writeFrame(message, frameLength, frame);
        return frame;
    }

    /** A composite of the frame's header (length, type, fixed body) and a retained slice of {@code content}. */
    private static ByteBuf headerAndContent(Message message, int frameLength, int headerLength, ByteBuf content,
                                           ByteBufAllocator allocator) {
        ByteBuf header = allocator.buffer(headerLength);
        CompositeByteBuf frame = allocator.compositeBuffer(2);
        try {
            header.writeInt(frameLength);
            header.writeByte(message.type().wireValue());
            BodyEncoder.write(message, header, false);
            frame.addComponent(true, header);
            header = null;
            frame.addComponent(true, content.retainedSlice());
            return frame;
        } catch (RuntimeException e) {
            frame.release();
            if (header != null) {
                header.release();
            }
            throw e;
        }
    }

    /**
     * Writes {@code message} as one whole frame, length field included, at {@code out}'s writer index. Copies a
     * page's content; prefer {@link #encode} for PAGE_DATA. Neither buffer is released.
     *
     * @throws ProtocolException {@link ProtocolErrorCode#FRAME_TOO_LARGE} before anything is written
     */
    public static void encode(Message message, ByteBuf out) {
        writeFrame(message, frameLength(message), out);
    }

    private static void writeFrame(Message message, int frameLength, ByteBuf out) {
        out.ensureWritable(Protocol.LENGTH_FIELD_SIZE_IN_BYTES + frameLength);
        out.writeInt(frameLength);
        out.writeByte(message.type().wireValue());
        BodyEncoder.write(message, out, true);
    }

    /**
     * Decodes one frame without its length field: the {@code u8 type} and the body, exactly the readable bytes of
     * {@code frame}. Reads with absolute indexes: {@code frame}'s indexes do not move and it is not released (its
     * owner releases it, on every path). A returned {@link PageData} or {@link PageRun} holds its own retained slice
     * of {@code frame}.
     * Nothing is retained or allocated for a frame that fails.
     *
     * @param frame   the type byte and the body
     * @param context what the conversation allows at this point
     * @return the message; never {@code null}
     * @throws ProtocolException with {@link ProtocolErrorCode#FRAME_TOO_LARGE}, {@link
     *                           ProtocolErrorCode#UNKNOWN_MESSAGE_TYPE}, {@link ProtocolErrorCode#UNEXPECTED_MESSAGE},
     *                           {@link ProtocolErrorCode#PAGE_OUT_OF_RANGE} or {@link
     *                           ProtocolErrorCode#MALFORMED_FRAME}; never another exception for any input bytes
     */
    public static Message decode(ByteBuf frame, DecodeContext context) {
        int frameLength = frame.readableBytes();
        if (frameLength > Protocol.MAX_FRAME_LENGTH) {
            throw new ProtocolException(ProtocolErrorCode.FRAME_TOO_LARGE, "frame length " + frameLength
                + " (expected: <= " + Protocol.MAX_FRAME_LENGTH + ")");
        }
        if (frameLength < Protocol.TYPE_FIELD_SIZE_IN_BYTES) {
            throw ProtocolException.malformed("empty frame: no type byte");
        }
        int start = frame.readerIndex();
        int typeValue = frame.getUnsignedByte(start);
        MessageType type = MessageType.fromWireValue(typeValue);
        if (type == null) {
            throw new ProtocolException(ProtocolErrorCode.UNKNOWN_MESSAGE_TYPE, "type=0x"
                + Integer.toHexString(typeValue) + " is not a known message type");
        }
        checkAllowed(type, context);
        BodyReader in = new BodyReader(frame, start + 1, start + frameLength, type);
        Message message;
        try {
            message = BodyDecoder.decode(type, in, frame, context);
        } catch (ProtocolException e) {
            if (e.code() == ProtocolErrorCode.INVALID_ARGUMENT) {
                throw new ProtocolException(ProtocolErrorCode.MALFORMED_FRAME, type + ": " + e.detail(), e);
            }
            throw e;
        }
        try {
            in.expectEnd();
        } catch (ProtocolException e) {
            if (message instanceof ReferenceCounted holder) {
                holder.release();
            }
            throw e;
        }
        return message;
    }

    private static void checkAllowed(MessageType type, DecodeContext context) {
        boolean allowed = switch (type.phase()) {
            case HANDSHAKE -> !context.handshakeComplete();
            case SESSION -> context.handshakeComplete();
            case ANY -> true;
        };
        if (!allowed) {
            throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE, type
                + (context.handshakeComplete() ? " after the handshake" : " before the handshake"));
        }
        Feature feature = type.requiredFeature();
        if (feature != null && !context.isGranted(feature)) {
            throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE, type + " needs feature " + feature
                + ", which was not granted");
        }
    }
}
