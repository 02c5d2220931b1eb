package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Property: decode(encode(m)) equals m for random valid messages of every type, and nothing leaks. */
class MessageCodecRoundTripTest {
    private static final int ITERATIONS = 300;

    @BeforeAll
    static void paranoidLeakDetection() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @ParameterizedTest
    @EnumSource(MessageType.class)
    void shouldDecodeEqualMessageWhenEncodingRandomMessage(MessageType type) {
        SplittableRandom random = new SplittableRandom(0x5EED_0000L + type.wireValue());
        DecodeContext context = type.phase() == MessageType.Phase.HANDSHAKE ? Frames.HANDSHAKE : Frames.SESSION;
        for (int i = 0; i < ITERATIONS; i++) {
            Message message = RandomMessages.next(random, type);
            ByteBuf encoded = MessageCodec.encode(message, PooledByteBufAllocator.DEFAULT);
            ByteBuf copied = Unpooled.buffer();
            Message decoded = null;
            try {
                MessageCodec.encode(message, copied);
                assertEquals(copied, encoded, "both encode entry points write the same bytes");
                assertEquals(MessageCodec.frameLength(message), encoded.getInt(0));
                assertEquals(encoded.readableBytes() - Protocol.LENGTH_FIELD_SIZE_IN_BYTES, encoded.getInt(0));
                encoded.skipBytes(Protocol.LENGTH_FIELD_SIZE_IN_BYTES);
                decoded = MessageCodec.decode(encoded, context);
                assertEquals(message, decoded);
            } finally {
                ReferenceCountUtil.release(decoded);
                ReferenceCountUtil.release(message);
                encoded.release();
                copied.release();
            }
            assertEquals(0, encoded.refCnt());
            if (message instanceof PageData page && page.encoding() == PageEncoding.RAW) {
                assertEquals(0, page.refCnt(), "the page's content leaked");
            }
        }
    }
}
