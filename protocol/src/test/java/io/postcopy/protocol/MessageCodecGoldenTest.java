package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static io.postcopy.protocol.Frames.HANDSHAKE;
import static io.postcopy.protocol.Frames.SESSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * One concrete instance of every message type against bytes written by hand from PROTOCOL.md. If one of these
 * fails, the wire format changed: that needs a new protocol version, not a new expected string.
 */
class MessageCodecGoldenTest {
    static final long SESSION_ID = 0x0123456789ABCDEFL;

    /** A message, the hex of its whole frame, and the context it decodes in. */
    record Golden(Message message, String frameHex, DecodeContext context) {
        @Override
        public String toString() {
            return message.type().name();
        }
    }

    @BeforeAll
    static void paranoidLeakDetection() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    static List<Golden> goldens() {
        return List.of(
            new Golden(new HandshakeRequest(1, 1, ConnectionRole.CONTROL, 0x07, 4096, 1000, SESSION_ID),
                "00000026 01 50435059 0001 0001 0123456789abcdef 0000000000000007 00000000000003e8 00001000 01",
                HANDSHAKE),
            new Golden(new HandshakeRequest(1, 1, ConnectionRole.RESUME, 0x27, 4096, 1000, SESSION_ID),
                "00000026 01 50435059 0001 0001 0123456789abcdef 0000000000000027 00000000000003e8 00001000 04",
                HANDSHAKE),
            new Golden(new HandshakeAnswer(0, 1, SESSION_ID, 0x07, 4096, 1000),
                "00000025 02 50435059 0000 0001 0123456789abcdef 0000000000000007 00000000000003e8 00001000",
                HANDSHAKE),
            new Golden(new Ping(0x1122334455667788L), "00000009 03 1122334455667788", SESSION),
            new Golden(new Pong(0x1122334455667788L), "00000009 04 1122334455667788", SESSION),
            new Golden(ErrorMessage.of(ProtocolErrorCode.PAGE_OUT_OF_RANGE, "bad"),
                "00000008 05 0004 0003 626164", SESSION),
            new Golden(new PageRequest(RequestKind.DEMAND, new long[] {7, 999}),
                "00000016 10 01 00000002 0000000000000007 00000000000003e7", SESSION),
            new Golden(PageData.zero(5, PageDataOrigin.BACKGROUND), "0000000b 11 0000000000000005 02 02", SESSION),
            new Golden(PageRun.zero(5, 300, PageDataOrigin.BACKGROUND),
                "0000000f 15 0000000000000005 0000012c 02 02", SESSION),
            new Golden(new DiscardRanges(List.of(new PageRange(10, 5), new PageRange(100, 1))),
                "00000025 12 00000002 000000000000000a 0000000000000005 0000000000000064 0000000000000001",
                SESSION),
            new Golden(new PageDigests(8, new long[] {0xCAFEBABE00000001L, 2}),
                "0000001d 13 0000000000000008 00000002 cafebabe00000001 0000000000000002", SESSION),
            new Golden(new ReceivedBitmap(64, new long[] {0x8000000000000001L}),
                "00000015 14 0000000000000040 00000001 8000000000000001", SESSION),
            new Golden(new Switchover(0x1234567890ABCDEFL, 2, 1),
                "00000011 20 1234567890abcdef 00000002 00000001", SESSION),
            new Golden(new VcpuState(3, new byte[] {(byte) 0xDE, (byte) 0xAD, (byte) 0xBE, (byte) 0xEF}),
                "0000000d 21 00000003 00000004 deadbeef", SESSION),
            new Golden(new DeviceStateChunk("net0", 7, true, new byte[] {1, 2, 3}),
                "00000012 22 04 6e657430 00000007 01 00000003 010203", SESSION),
            new Golden(new Complete(), "00000001 23", SESSION));
    }

    static Stream<Golden> goldenStream() {
        return goldens().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenStream")
    void shouldEncodeToGoldenBytesWhenEncodingGoldenMessage(Golden golden) {
        ByteBuf encoded = MessageCodec.encode(golden.message(), PooledByteBufAllocator.DEFAULT);
        try {
            assertEquals(golden.frameHex().replace(" ", ""), Frames.toHex(encoded));
        } finally {
            encoded.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenStream")
    void shouldEncodeSameBytesWhenWritingIntoGivenBuffer(Golden golden) {
        ByteBuf out = Unpooled.buffer();
        try {
            MessageCodec.encode(golden.message(), out);
            assertEquals(golden.frameHex().replace(" ", ""), Frames.toHex(out));
        } finally {
            out.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenStream")
    void shouldDecodeGoldenMessageWhenDecodingGoldenBytes(Golden golden) {
        ByteBuf frame = Frames.withoutLength(golden.frameHex());
        int readerIndex = frame.readerIndex();
        try {
            Message decoded = MessageCodec.decode(frame, golden.context());
            assertEquals(golden.message(), decoded);
            assertEquals(readerIndex, frame.readerIndex(), "decode must not move the reader index");
        } finally {
            frame.release();
        }
        assertEquals(0, frame.refCnt());
    }

    @Test
    void shouldCoverEveryMessageTypeWhenListingGoldens() {
        MessageType[] covered = goldens().stream().map(g -> g.message().type()).distinct().sorted()
            .toArray(MessageType[]::new);
        assertEquals(Arrays.asList(MessageType.values()), Arrays.asList(covered));
    }

    @Test
    void shouldEncodeRawRunAsHeaderAndContentWhenGoldenRawRun() {
        byte[] content = new byte[2 * 4096];
        Arrays.fill(content, 0, 4096, (byte) 0xAB);
        Arrays.fill(content, 4096, 8192, (byte) 0xCD);
        String frameHex = "0000200f 15 0000000000000006 00000002 01 03" + "ab".repeat(4096) + "cd".repeat(4096);
        ByteBuf source = Unpooled.wrappedBuffer(content);
        PageRun run = PageRun.raw(6, 2, PageDataOrigin.PRECOPY, source);
        ByteBuf encoded = MessageCodec.encode(run, PooledByteBufAllocator.DEFAULT);
        try {
            assertEquals(2, encoded.nioBufferCount(), "a header and the content itself, not a copy of it");
            assertEquals(frameHex.replace(" ", ""), Frames.toHex(encoded));
        } finally {
            encoded.release();
            run.release();
        }
        assertEquals(0, source.refCnt(), "the encoded frame kept a reference to the run");

        ByteBuf frame = Frames.withoutLength(frameHex);
        Message decoded = MessageCodec.decode(frame, SESSION);
        frame.release();
        PageRun decodedRun = (PageRun) decoded;
        try {
            assertEquals(1, frame.refCnt(), "the decoded run holds the only reference to the frame");
            assertEquals(6, decodedRun.firstPageIndex());
            assertEquals(2, decodedRun.pageCount());
            assertEquals(PageEncoding.RAW, decodedRun.encoding());
            assertEquals(PageDataOrigin.PRECOPY, decodedRun.origin());
            assertEquals(Unpooled.wrappedBuffer(content), decodedRun.content());
        } finally {
            decodedRun.release();
        }
        assertEquals(0, frame.refCnt());
    }

    @Test
    void shouldRejectRunThatIsNotWholePagesOrStartsDemandWhenBuildingOne() {
        ByteBuf odd = Unpooled.buffer(3 * 4096 + 1).writeZero(3 * 4096 + 1);
        ByteBuf tooMany = Unpooled.buffer(1025 * 4096).writeZero(1025 * 4096);
        try {
            assertEquals(ProtocolErrorCode.INVALID_ARGUMENT, assertThrows(ProtocolException.class,
                () -> PageRun.raw(0, 3, PageDataOrigin.BACKGROUND, odd)).code());
            assertEquals(ProtocolErrorCode.INVALID_ARGUMENT, assertThrows(ProtocolException.class,
                () -> PageRun.raw(0, 1025, PageDataOrigin.BACKGROUND, tooMany)).code(), "more than fits a frame");
            assertEquals(ProtocolErrorCode.INVALID_ARGUMENT, assertThrows(ProtocolException.class,
                () -> PageRun.zero(0, 0, PageDataOrigin.BACKGROUND)).code());
            assertEquals(ProtocolErrorCode.INVALID_ARGUMENT, assertThrows(ProtocolException.class,
                () -> PageRun.zero(0, 2, PageDataOrigin.DEMAND)).code(), "a demand answer is never a run");
            assertEquals(ProtocolErrorCode.INVALID_ARGUMENT, assertThrows(ProtocolException.class,
                () -> PageRun.zero(Long.MAX_VALUE, 2, PageDataOrigin.BACKGROUND)).code());
        } finally {
            odd.release();
            tooMany.release();
        }
        assertEquals(1024, PageRun.maxRawPageCount(4096));
        assertEquals(2, PageRun.maxRawPageCount(2 * 1024 * 1024));
    }

    @Test
    void shouldEncodeRawPageAsHeaderAndContentWhenGoldenRawPage() {
        byte[] content = new byte[4096];
        Arrays.fill(content, (byte) 0xAB);
        String frameHex = "0000100b 11 0000000000000006 01 01" + "ab".repeat(4096);
        ByteBuf source = Unpooled.wrappedBuffer(content);
        PageData page = PageData.raw(6, PageDataOrigin.DEMAND, source);
        ByteBuf encoded = MessageCodec.encode(page, PooledByteBufAllocator.DEFAULT);
        try {
            assertEquals(frameHex.replace(" ", ""), Frames.toHex(encoded));
        } finally {
            encoded.release();
            page.release();
        }
        assertEquals(0, source.refCnt(), "the encoded frame kept a reference to the page");

        ByteBuf frame = Frames.withoutLength(frameHex);
        Message decoded = MessageCodec.decode(frame, SESSION);
        frame.release();
        PageData decodedPage = (PageData) decoded;
        try {
            assertEquals(1, frame.refCnt(), "the decoded page holds the only reference to the frame");
            assertEquals(6, decodedPage.pageIndex());
            assertEquals(PageEncoding.RAW, decodedPage.encoding());
            assertEquals(PageDataOrigin.DEMAND, decodedPage.origin());
            assertEquals(Unpooled.wrappedBuffer(content), decodedPage.content());
        } finally {
            decodedPage.release();
        }
        assertEquals(0, frame.refCnt());
    }
}
