package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Test helpers: hex to buffers and back, and decoding that checks for leaks. */
final class Frames {
    static final int PAGE_SIZE = 4096;
    static final long PAGE_COUNT = 1000;
    static final DecodeContext SESSION = DecodeContext.session(PAGE_SIZE, PAGE_COUNT, Features.KNOWN);
    static final DecodeContext HANDSHAKE = DecodeContext.handshake();

    private Frames() {
    }

    /** A buffer holding the bytes of {@code hex}; spaces are ignored. */
    static ByteBuf fromHex(String hex) {
        return Unpooled.wrappedBuffer(HexFormat.of().parseHex(hex.replace(" ", "")));
    }

    /** The readable bytes of {@code buffer} as lower-case hex; does not release it. */
    static String toHex(ByteBuf buffer) {
        return ByteBufUtil.hexDump(buffer);
    }

    /** The frame of {@code frameHex} without its length field, as the frame decoder hands it on. */
    static ByteBuf withoutLength(String frameHex) {
        ByteBuf frame = fromHex(frameHex);
        frame.skipBytes(Protocol.LENGTH_FIELD_SIZE_IN_BYTES);
        return frame;
    }

    /**
     * A fresh, reference-counted copy of {@code length} bytes of {@code source} from {@code index} (never the shared
     * empty buffer, whose count never drops to 0).
     */
    static ByteBuf copyOf(ByteBuf source, int index, int length) {
        return Unpooled.buffer(length + 1).writeBytes(source, index, length);
    }

    /**
     * Decodes bytes that must fail with {@code expected}, then checks that nothing kept a reference to them.
     *
     * @return the exception, for further checks
     */
    static ProtocolException assertDecodeFails(ProtocolErrorCode expected, ByteBuf frame, DecodeContext context) {
        try {
            ProtocolException e = assertThrows(ProtocolException.class, () -> MessageCodec.decode(frame, context));
            assertEquals(expected, e.code(), e::getMessage);
            return e;
        } finally {
            frame.release();
            assertEquals(0, frame.refCnt(), "a failing decode retained the frame");
        }
    }
}
