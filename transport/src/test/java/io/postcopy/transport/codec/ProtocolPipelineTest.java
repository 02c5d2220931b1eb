package io.postcopy.transport.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.ErrorMessage;
import io.postcopy.protocol.Features;
import io.postcopy.protocol.PageData;
import io.postcopy.protocol.PageDataOrigin;
import io.postcopy.protocol.PageEncoding;
import io.postcopy.protocol.Ping;
import io.postcopy.protocol.Protocol;
import io.postcopy.protocol.ProtocolErrorCode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import static io.postcopy.transport.codec.CodecChannels.channel;
import static io.postcopy.transport.codec.CodecChannels.readOutboundError;
import static io.postcopy.transport.codec.CodecChannels.readOutboundMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProtocolPipelineTest {
    private static final int PAGE_SIZE = 4096;
    private static final DecodeContext SESSION = DecodeContext.session(PAGE_SIZE, 1000, Features.KNOWN);
    private static final String PING_FRAME = "00000009 03 1122334455667788";

    private final List<ByteBuf> inputs = new ArrayList<>();

    @BeforeAll
    static void paranoidLeakDetection() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    private ByteBuf input(String hex) {
        byte[] bytes = HexFormat.of().parseHex(hex.replace(" ", ""));
        ByteBuf buffer = Unpooled.buffer(bytes.length + 1).writeBytes(bytes);
        inputs.add(buffer);
        return buffer;
    }

    private void assertInputsReleased() {
        for (ByteBuf input : inputs) {
            assertEquals(0, input.refCnt(), "an inbound buffer leaked");
        }
    }

    private static String rawPageFrame(long pageIndex, String byteHex) {
        return "0000100b 11 " + String.format("%016x", pageIndex) + " 01 01" + byteHex.repeat(PAGE_SIZE);
    }

    @Test
    void shouldDeliverMessageWhenGoodFrameArrives() {
        EmbeddedChannel channel = channel(SESSION);
        channel.writeInbound(input(PING_FRAME));

        assertEquals(new Ping(0x1122334455667788L), channel.readInbound());
        assertNull(channel.readInbound());
        assertTrue(channel.isOpen());
        assertFalse(channel.finishAndReleaseAll());
        assertInputsReleased();
    }

    @Test
    void shouldDeliverRawPageAsSliceWhenFrameArrivesInPieces() {
        EmbeddedChannel channel = channel(SESSION);
        String frame = rawPageFrame(7, "5a").replace(" ", "");
        int cut1 = 6;
        int cut2 = 2000;
        channel.writeInbound(input(frame.substring(0, cut1)));
        channel.writeInbound(input(frame.substring(cut1, cut2)));
        assertNull(channel.readInbound(), "no message before the whole frame is there");
        channel.writeInbound(input(frame.substring(cut2) + PING_FRAME.replace(" ", "")));

        PageData page = channel.readInbound();
        try {
            assertEquals(7, page.pageIndex());
            assertEquals(PageEncoding.RAW, page.encoding());
            assertEquals(PAGE_SIZE, page.contentLengthInBytes());
            assertEquals((byte) 0x5a, page.content().getByte(page.content().readerIndex() + PAGE_SIZE - 1));
        } finally {
            page.release();
        }
        assertEquals(new Ping(0x1122334455667788L), channel.readInbound());
        assertFalse(channel.finishAndReleaseAll());
        assertInputsReleased();
    }

    @Test
    void shouldWriteGoldenBytesAndReleasePageWhenPageDataIsWritten() {
        EmbeddedChannel channel = channel(SESSION);
        ByteBuf content = Unpooled.buffer(PAGE_SIZE).writeZero(PAGE_SIZE);
        for (int i = 0; i < PAGE_SIZE; i++) {
            content.setByte(i, 0xab);
        }
        assertTrue(channel.writeOutbound(PageData.raw(6, PageDataOrigin.DEMAND, content)));

        ByteBuf written = channel.readOutbound();
        try {
            assertEquals(1, content.refCnt(), "only the written frame holds the page");
            assertEquals(rawPageFrame(6, "ab").replace(" ", ""), ByteBufUtil.hexDump(written));
        } finally {
            written.release();
        }
        assertEquals(0, content.refCnt());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldSendMalformedErrorAndCloseWhenBodyIsTruncated() {
        EmbeddedChannel channel = channel(SESSION);
        channel.writeInbound(input("00000005 03 11223344" + PING_FRAME));

        ErrorMessage error = readOutboundError(channel);
        assertEquals(ProtocolErrorCode.MALFORMED_FRAME, error.code());
        assertNull(channel.readInbound(), "nothing behind a protocol error may be delivered");
        assertFalse(channel.isOpen());
        channel.finishAndReleaseAll();
        assertInputsReleased();
    }

    @Test
    void shouldSendFrameTooLargeAndCloseAtOnceWhenLengthFieldExceedsMaximum() {
        EmbeddedChannel channel = channel(SESSION);
        String tooLong = String.format("%08x", Protocol.MAX_FRAME_LENGTH + 1);
        channel.writeInbound(input(tooLong + " 21 00000001"));

        assertEquals(ProtocolErrorCode.FRAME_TOO_LARGE, readOutboundError(channel).code());
        assertFalse(channel.isOpen(), "fail fast: no waiting for the body");
        channel.finishAndReleaseAll();
        assertInputsReleased();
    }

    @Test
    void shouldSendFrameTooLargeWhenLengthFieldIsAboveSignedRange() {
        EmbeddedChannel channel = channel(SESSION);
        channel.writeInbound(input("ffffffff 03"));

        assertEquals(ProtocolErrorCode.FRAME_TOO_LARGE, readOutboundError(channel).code());
        assertFalse(channel.isOpen());
        channel.finishAndReleaseAll();
        assertInputsReleased();
    }

    @Test
    void shouldSendUnknownMessageTypeAndCloseWhenTypeIsUndefined() {
        EmbeddedChannel channel = channel(SESSION);
        channel.writeInbound(input("00000009 7f 1122334455667788"));

        assertEquals(ProtocolErrorCode.UNKNOWN_MESSAGE_TYPE, readOutboundError(channel).code());
        assertFalse(channel.isOpen());
        channel.finishAndReleaseAll();
        assertInputsReleased();
    }

    @Test
    void shouldSendMalformedWhenFrameHasNoTypeByte() {
        EmbeddedChannel channel = channel(SESSION);
        channel.writeInbound(input("00000000"));

        assertEquals(ProtocolErrorCode.MALFORMED_FRAME, readOutboundError(channel).code());
        assertFalse(channel.isOpen());
        channel.finishAndReleaseAll();
        assertInputsReleased();
    }

    @Test
    void shouldSendPageOutOfRangeWhenPageIndexIsBeyondSession() {
        EmbeddedChannel channel = channel(SESSION);
        channel.writeInbound(input(rawPageFrame(1000, "00")));

        assertEquals(ProtocolErrorCode.PAGE_OUT_OF_RANGE, readOutboundError(channel).code());
        assertFalse(channel.isOpen());
        channel.finishAndReleaseAll();
        assertInputsReleased();
    }

    @Test
    void shouldDecodeInNewContextWhenContextIsReplacedAfterHandshake() {
        EmbeddedChannel channel = new EmbeddedChannel();
        MessageDecoder decoder = ProtocolPipeline.install(channel.pipeline(), DecodeContext.handshake());
        decoder.setContext(SESSION);
        channel.writeInbound(input("0000000b 11 0000000000000005 02 02"));

        PageData page = channel.readInbound();
        assertEquals(PageData.zero(5, PageDataOrigin.BACKGROUND), page);
        assertFalse(channel.finishAndReleaseAll());
        assertInputsReleased();
    }

    @Test
    void shouldSendUnexpectedMessageWhenPageArrivesBeforeHandshake() {
        EmbeddedChannel channel = channel(DecodeContext.handshake());
        channel.writeInbound(input("0000000b 11 0000000000000005 02 02"));

        assertEquals(ProtocolErrorCode.UNEXPECTED_MESSAGE, readOutboundError(channel).code());
        assertFalse(channel.isOpen());
        channel.finishAndReleaseAll();
        assertInputsReleased();
    }

    @Test
    void shouldSendEngineCodeWhenBusinessHandlerThrowsPostcopyException() {
        EmbeddedChannel channel = channel(SESSION);
        channel.pipeline().addBefore(ProtocolPipeline.ERROR_HANDLER, "business", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                throw new PostcopyException(ErrorCode.GEOMETRY_MISMATCH, "pages differ");
            }
        });
        channel.writeInbound(input(PING_FRAME));

        ErrorMessage error = readOutboundError(channel);
        assertEquals(ProtocolErrorCode.GEOMETRY_MISMATCH, error.code());
        assertTrue(error.text().contains("pages differ"));
        assertFalse(channel.isOpen());
        channel.finishAndReleaseAll();
        assertInputsReleased();
    }

    @Test
    void shouldDropPartialFrameWithoutErrorWhenPeerClosesMidFrame() {
        EmbeddedChannel channel = channel(SESSION);
        channel.writeInbound(input(rawPageFrame(3, "11").substring(0, 100)));

        assertFalse(channel.finish(), "no message and no ERROR for a peer that is already gone");
        assertInputsReleased();
    }

    @Test
    void shouldOnlyAnswerWithErrorFramesWhenGarbageArrives() {
        SplittableRandom random = new SplittableRandom(2024);
        int closed = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] garbage = new byte[random.nextInt(1, 64)];
            random.nextBytes(garbage);
            if (garbage.length > 4 && random.nextBoolean()) {
                garbage[0] = 0;
                garbage[1] = 0;
                garbage[2] = 0;
                garbage[3] = (byte) random.nextInt(0, garbage.length);
            }
            EmbeddedChannel channel = channel(random.nextBoolean() ? SESSION : DecodeContext.handshake());
            ByteBuf in = Unpooled.buffer(garbage.length).writeBytes(garbage);
            channel.writeInbound(in);
            Object message;
            while ((message = channel.readInbound()) != null) {
                ReferenceCountUtil.release(message);
            }
            if (!channel.isOpen()) {
                closed++;
                readOutboundError(channel);
            } else {
                assertNull(channel.readOutbound(), "an open channel wrote something");
            }
            channel.finishAndReleaseAll();
            assertEquals(0, in.refCnt(), "an inbound buffer leaked");
        }
        assertTrue(closed > 1000, "garbage should mostly be refused, was " + closed);
    }

    @Test
    void shouldEncodeWithMessageCodecWhenWritingAnyMessage() {
        EmbeddedChannel channel = channel(SESSION);
        Ping ping = new Ping(42);
        channel.writeOutbound(ping);

        assertEquals(ping, readOutboundMessage(channel));
        assertFalse(channel.finishAndReleaseAll());
    }
}
