package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static io.postcopy.protocol.Frames.HANDSHAKE;
import static io.postcopy.protocol.Frames.SESSION;
import static io.postcopy.protocol.Frames.assertDecodeFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Bad bytes always give a ProtocolException with the right code, never another exception, and never leak. */
class MessageCodecMalformedInputTest {
    @BeforeAll
    static void paranoidLeakDetection() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    static Stream<MessageCodecGoldenTest.Golden> goldens() {
        return MessageCodecGoldenTest.goldenStream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void shouldFailMalformedWhenFrameIsTruncatedAtAnyLength(MessageCodecGoldenTest.Golden golden) {
        ByteBuf whole = Frames.withoutLength(golden.frameHex());
        try {
            for (int length = 0; length < whole.readableBytes(); length++) {
                ByteBuf prefix = Frames.copyOf(whole, whole.readerIndex(), length);
                assertDecodeFails(ProtocolErrorCode.MALFORMED_FRAME, prefix, golden.context());
            }
        } finally {
            whole.release();
        }
    }

    @Test
    void shouldFailMalformedWhenRawPageIsTruncatedAtAnyLength() {
        ByteBuf whole = Frames.withoutLength("0000100b 11 0000000000000006 01 01" + "ab".repeat(4096));
        try {
            for (int length = 0; length < whole.readableBytes(); length++) {
                ByteBuf prefix = Frames.copyOf(whole, whole.readerIndex(), length);
                assertDecodeFails(ProtocolErrorCode.MALFORMED_FRAME, prefix, SESSION);
            }
        } finally {
            whole.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void shouldFailMalformedWhenBodyHasTrailingByte(MessageCodecGoldenTest.Golden golden) {
        assertDecodeFails(ProtocolErrorCode.MALFORMED_FRAME, Frames.withoutLength(golden.frameHex() + "00"),
            golden.context());
    }

    @Test
    void shouldFailMalformedWhenRawPageHasTrailingByte() {
        assertDecodeFails(ProtocolErrorCode.MALFORMED_FRAME,
            Frames.withoutLength("0000100c 11 0000000000000006 01 01" + "ab".repeat(4097)), SESSION);
    }

    @Test
    void shouldFailMalformedWhenRawRunIsTruncatedAtAnyLengthOrHasTrailingByte() {
        ByteBuf whole = Frames.withoutLength("0000200f 15 0000000000000006 00000002 01 02" + "ab".repeat(8192));
        try {
            for (int length = 0; length < whole.readableBytes(); length += length < 64 ? 1 : 509) {
                ByteBuf prefix = Frames.copyOf(whole, whole.readerIndex(), length);
                assertDecodeFails(ProtocolErrorCode.MALFORMED_FRAME, prefix, SESSION);
            }
            assertDecodeFails(ProtocolErrorCode.MALFORMED_FRAME,
                Frames.copyOf(whole, whole.readerIndex(), whole.readableBytes() - 1), SESSION);
        } finally {
            whole.release();
        }
        assertDecodeFails(ProtocolErrorCode.MALFORMED_FRAME,
            Frames.withoutLength("00002010 15 0000000000000006 00000002 01 02" + "ab".repeat(8193)), SESSION);
        assertDecodeFails(ProtocolErrorCode.MALFORMED_FRAME, Frames.withoutLength(
            "0000200f 15 0000000000000006 00000003 01 02" + "ab".repeat(8192)), SESSION); // one page short
    }

    @Test
    void shouldFailTypedWhenRawRunHasMorePagesThanFitOneFrame() {
        DecodeContext large = DecodeContext.session(4096, 1 << 20, Features.KNOWN);
        int pages = PageRun.maxRawPageCount(4096) + 1;
        ByteBuf oversized = Unpooled.buffer(15 + pages * 4096);
        oversized.writeByte(MessageType.PAGE_RUN.wireValue()).writeLong(0).writeInt(pages).writeByte(1).writeByte(2);
        oversized.writeZero(pages * 4096);
        assertDecodeFails(ProtocolErrorCode.FRAME_TOO_LARGE, oversized, large);
        // the same count declared in a small frame: refused on the count, before the bytes are looked at
        assertDecodeFails(ProtocolErrorCode.MALFORMED_FRAME,
            Frames.withoutLength("0000000f 15 0000000000000000 00000401 01 02"), large);
        // the largest run fits one frame and decodes
        ByteBuf largest = Unpooled.buffer(15 + (pages - 1) * 4096);
        largest.writeByte(MessageType.PAGE_RUN.wireValue()).writeLong(0).writeInt(pages - 1).writeByte(1)
            .writeByte(2).writeZero((pages - 1) * 4096);
        try {
            PageRun run = (PageRun) MessageCodec.decode(largest, large);
            assertEquals(pages - 1, run.pageCount());
            run.release();
        } finally {
            largest.release();
        }
    }

    @Test
    void shouldFailFrameTooLargeWhenFrameExceedsMaximum() {
        ByteBuf frame = Unpooled.buffer(Protocol.MAX_FRAME_LENGTH + 1);
        frame.writeByte(MessageType.VCPU_STATE.wireValue());
        frame.writeZero(Protocol.MAX_FRAME_LENGTH);
        assertDecodeFails(ProtocolErrorCode.FRAME_TOO_LARGE, frame, SESSION);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x06, 0x0f, 0x16, 0x1f, 0x24, 0x80, 0xff})
    void shouldFailUnknownMessageTypeWhenTypeIsNotDefined(int typeValue) {
        ByteBuf frame = Unpooled.buffer().writeByte(typeValue).writeLong(0);
        assertDecodeFails(ProtocolErrorCode.UNKNOWN_MESSAGE_TYPE, frame, SESSION);
    }

    @Test
    void shouldFailUnexpectedWhenSessionMessageArrivesBeforeHandshake() {
        assertDecodeFails(ProtocolErrorCode.UNEXPECTED_MESSAGE,
            Frames.withoutLength("0000000b 11 0000000000000005 02 02"), HANDSHAKE);
    }

    @Test
    void shouldFailUnexpectedWhenHandshakeArrivesAfterHandshake() {
        assertDecodeFails(ProtocolErrorCode.UNEXPECTED_MESSAGE, Frames.withoutLength(
            "00000025 02 50435059 0000 0001 0123456789abcdef 0000000000000007 00000000000003e8 00001000"), SESSION);
    }

    @Test
    void shouldFailUnexpectedWhenMessageNeedsFeatureNotGranted() {
        DecodeContext noFeatures = DecodeContext.session(Frames.PAGE_SIZE, Frames.PAGE_COUNT, 0);
        assertDecodeFails(ProtocolErrorCode.UNEXPECTED_MESSAGE,
            Frames.withoutLength("00000015 12 00000001 000000000000000a 0000000000000005"), noFeatures);
        assertDecodeFails(ProtocolErrorCode.UNEXPECTED_MESSAGE,
            Frames.withoutLength("0000000b 11 0000000000000005 02 02"), noFeatures);
        assertDecodeFails(ProtocolErrorCode.UNEXPECTED_MESSAGE,
            Frames.withoutLength("0000100b 11 0000000000000006 01 03" + "ab".repeat(4096)), noFeatures);
        assertDecodeFails(ProtocolErrorCode.UNEXPECTED_MESSAGE,
            Frames.withoutLength("0000100f 15 0000000000000006 00000001 01 02" + "ab".repeat(4096)), noFeatures);
        DecodeContext runsOnly = DecodeContext.session(Frames.PAGE_SIZE, Frames.PAGE_COUNT,
            Features.of(Feature.PAGE_RUNS));
        assertDecodeFails(ProtocolErrorCode.UNEXPECTED_MESSAGE,
            Frames.withoutLength("0000000f 15 0000000000000005 00000002 02 02"), runsOnly); // ZERO not granted
        assertDecodeFails(ProtocolErrorCode.UNEXPECTED_MESSAGE,
            Frames.withoutLength("0000100f 15 0000000000000006 00000001 01 03" + "ab".repeat(4096)), runsOnly);
    }

    @Test
    void shouldFailPageOutOfRangeWhenPageIndexReachesPageCount() {
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("0000000e 10 01 00000001 00000000000003e8"), SESSION);
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("0000000e 10 02 00000001 ffffffffffffffff"), SESSION);
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("0000000b 11 00000000000003e8 02 02"), SESSION);
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("0000100b 11 8000000000000000 01 01" + "ab".repeat(4096)), SESSION);
    }

    @Test
    void shouldFailPageOutOfRangeWhenRunReachesPastPageCount() {
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("00000015 12 00000001 00000000000003e0 0000000000000009"), SESSION);
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("00000015 12 00000001 0000000000000000 ffffffffffffffff"), SESSION);
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("0000001d 13 00000000000003e7 00000002 0000000000000001 0000000000000002"),
            SESSION);
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("0000000f 15 00000000000003e0 00000009 02 02"), SESSION);
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("0000000f 15 00000000000003e8 00000001 02 02"), SESSION);
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("0000000f 15 8000000000000000 00000001 02 02"), SESSION);
        // pages 960..1023 in one word, but only 960..999 exist: bit 40 (page 1000) must be clear.
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("00000015 14 00000000000003c0 00000001 0000010000000000"), SESSION);
        assertDecodeFails(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            Frames.withoutLength("0000001d 14 00000000000003c0 00000002 0000000000000000 0000000000000000"),
            SESSION);
    }

    @Test
    void shouldDecodeBitmapWhenLastWordIsPartialAndItsExcessBitsAreClear() {
        ByteBuf frame = Frames.withoutLength("00000015 14 00000000000003c0 00000001 000000ffffffffff");
        try {
            ReceivedBitmap bitmap = (ReceivedBitmap) MessageCodec.decode(frame, SESSION);
            assertEquals(true, bitmap.isReceived(999));
            assertEquals(false, bitmap.isReceived(1000));
        } finally {
            frame.release();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // bad magic
        "00000026 01 50435058 0001 0001 0123456789abcdef 0000000000000007 00000000000003e8 00001000 01",
        // role 5
        "00000026 01 50435059 0001 0001 0123456789abcdef 0000000000000007 00000000000003e8 00001000 05",
        // minVersion 0
        "00000026 01 50435059 0000 0001 0123456789abcdef 0000000000000007 00000000000003e8 00001000 01",
        // minVersion > maxVersion
        "00000026 01 50435059 0002 0001 0123456789abcdef 0000000000000007 00000000000003e8 00001000 01",
        // session id 0
        "00000026 01 50435059 0001 0001 0000000000000000 0000000000000007 00000000000003e8 00001000 01",
        // page size 4097
        "00000026 01 50435059 0001 0001 0123456789abcdef 0000000000000007 00000000000003e8 00001001 01",
        // page size 2^32-1
        "00000026 01 50435059 0001 0001 0123456789abcdef 0000000000000007 00000000000003e8 ffffffff 01",
        // page count 0 with a page size
        "00000026 01 50435059 0001 0001 0123456789abcdef 0000000000000007 0000000000000000 00001000 01",
        // refused answer that grants features
        "00000025 02 50435059 0003 0001 0123456789abcdef 0000000000000007 00000000000003e8 00001000",
    })
    void shouldFailMalformedWhenHandshakeFieldIsInvalid(String frameHex) {
        assertDecodeFails(ProtocolErrorCode.MALFORMED_FRAME, Frames.withoutLength(frameHex), HANDSHAKE);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "0000000e 10 03 00000001 0000000000000007",                    // request kind 3
        "0000000a 10 01 00000000",                                     // request count 0
        "0000000e 10 01 ffffffff 0000000000000007",                    // count far beyond the bytes left
        "0000000b 11 0000000000000005 03 02",                          // encoding 3
        "0000000b 11 0000000000000005 02 04",                          // origin 4
        "0000000b 11 0000000000000005 02 00",                          // origin 0
        "0000000c 11 0000000000000005 02 02 00",                       // zero page with content
        "0000000c 11 0000000000000005 01 02 00",                       // raw page of 1 byte
        "0000000f 15 0000000000000005 00000000 02 02",                  // run of 0 pages
        "0000000f 15 0000000000000005 80000000 02 02",                  // run count > 2^31-1
        "0000000f 15 0000000000000005 00000002 03 02",                  // run encoding 3
        "0000000f 15 0000000000000005 00000002 02 01",                  // run origin DEMAND
        "0000000f 15 0000000000000005 00000002 02 04",                  // run origin 4
        "00000010 15 0000000000000005 00000002 02 02 00",               // zero run with content
        "00000010 15 0000000000000005 00000002 01 02 00",               // raw run of 1 byte
        "00000005 12 00000000",                                        // no discard ranges
        "00000015 14 0000000000000001 00000001 0000000000000000",       // bitmap not 64-aligned
        "00000011 20 1234567890abcdef 80000000 00000001",              // vcpuCount > 2^31-1
        "0000000d 21 00000003 00000005 deadbeef",                      // state length past the end
        "0000000d 21 80000003 00000004 deadbeef",                      // vcpu id > 2^31-1
        "00000012 22 04 6e657430 00000007 03 00000003 010203",         // unknown chunk flag
        "0000000e 22 00 00000007 01 00000003 010203",                  // empty device name
        "00000012 22 04 6e65c374 00000007 01 00000003 010203",         // name not UTF-8 (c3 74)
        "00000008 05 0000 0003 626164",                                // error code 0
        "00000008 05 0004 0003 62ff64",                                // error text not UTF-8
        "00000008 05 0004 0401 626164",                                // error text longer than allowed
        "00000002 23 00",                                              // complete with a body
    })
    void shouldFailMalformedWhenFieldIsInvalid(String frameHex) {
        assertDecodeFails(ProtocolErrorCode.MALFORMED_FRAME, Frames.withoutLength(frameHex), SESSION);
    }

    @Test
    void shouldOnlyThrowProtocolExceptionWhenDecodingRandomBytes() {
        SplittableRandom random = new SplittableRandom(42);
        MessageType[] types = MessageType.values();
        for (int i = 0; i < 50_000; i++) {
            byte[] bytes = new byte[random.nextInt(0, 80)];
            random.nextBytes(bytes);
            if (bytes.length > 0 && random.nextBoolean()) {
                bytes[0] = (byte) types[random.nextInt(types.length)].wireValue();
            }
            ByteBuf frame = Unpooled.buffer(bytes.length + 1).writeBytes(bytes);
            decodeAnything(frame, random.nextBoolean() ? SESSION : HANDSHAKE);
        }
    }

    @Test
    void shouldOnlyThrowProtocolExceptionWhenDecodingMutatedGoldenFrames() {
        SplittableRandom random = new SplittableRandom(7);
        var goldens = MessageCodecGoldenTest.goldens();
        for (int i = 0; i < 50_000; i++) {
            MessageCodecGoldenTest.Golden golden = goldens.get(random.nextInt(goldens.size()));
            ByteBuf frame = Frames.withoutLength(golden.frameHex());
            int flips = random.nextInt(1, 4);
            for (int f = 0; f < flips; f++) {
                int index = frame.readerIndex() + random.nextInt(frame.readableBytes());
                frame.setByte(index, frame.getByte(index) ^ (1 << random.nextInt(8)));
            }
            decodeAnything(frame, golden.context());
        }
    }

    private static void decodeAnything(ByteBuf frame, DecodeContext context) {
        Message decoded = null;
        try {
            decoded = MessageCodec.decode(frame, context);
        } catch (ProtocolException expected) {
            // Any code is fine here; the point is that nothing else escapes.
        } catch (RuntimeException e) {
            fail("decode threw " + e + " for " + Frames.toHex(frame), e);
        } finally {
            ReferenceCountUtil.release(decoded);
            frame.release();
        }
        assertEquals(0, frame.refCnt(), "decode leaked a reference to the frame");
    }
}
