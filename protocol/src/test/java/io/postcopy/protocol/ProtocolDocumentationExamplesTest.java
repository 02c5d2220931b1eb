package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hex examples of PROTOCOL.md, section 12, are what this implementation sends and accepts: another
 * implementation is written from that file, so its examples must not drift from the code.
 */
class ProtocolDocumentationExamplesTest {
    private static final long SESSION_ID = 0x0123456789ABCDEFL;
    private static final long PAGE_COUNT = 262_144;
    private static final String REQUEST =
        "00000026 01 50435059 0001 0001 0123456789abcdef 000000000000001f 0000000000040000 00001000 01";
    private static final String ANSWER =
        "00000025 02 50435059 0000 0001 0123456789abcdef 000000000000000f 0000000000040000 00001000";
    private static final String URGENT_REQUEST =
        "00000026 01 50435059 0001 0001 0123456789abcdef 000000000000001f 0000000000040000 00001000 02";
    private static final String REFUSED_REQUEST =
        "00000026 01 50435059 0001 0001 0123456789abcdef 0000000000000100 0000000000040000 00001000 01";
    private static final String REFUSED_ANSWER =
        "00000025 02 50435059 0003 0001 0123456789abcdef 0000000000000000 0000000000040000 00001000";
    private static final String RESUME_REQUEST =
        "00000026 01 50435059 0001 0001 0123456789abcdef 000000000000003f 0000000000040000 00001000 04";
    private static final String RESUME_ANSWER =
        "00000025 02 50435059 0000 0001 0123456789abcdef 000000000000002f 0000000000040000 00001000";
    private static final String RECEIVED_BITMAP =
        "0000001d 14 0000000000000000 00000002 ffffffffffffffff 00000000000000ff";
    private static final String DEMAND_REQUEST = "0000000e 10 01 00000001 0000000000001234";
    private static final String ZERO_ANSWER = "0000000b 11 0000000000001234 02 01";
    private static final String RAW_RUN_HEADER = "0004000f 15 0000000000002000 00000040 01 02";
    private static final String ZERO_RUN = "0000000f 15 0000000000002040 00000100 02 02";
    private static final String ERROR = "00000034 05 0004 002f 504147455f524551554553543a2070616765496e6465783d3130"
        + "3030202865787065637465643a20302e2e39393929";

    private static final SourceCapabilities SOURCE = new SourceCapabilities(1, 1,
        Features.KNOWN & ~Feature.DEVICE_STATE.mask(), 4096, PAGE_COUNT);

    private static String encode(Message message) {
        ByteBuf frame = MessageCodec.encode(message, UnpooledByteBufAllocator.DEFAULT);
        try {
            return Frames.toHex(frame);
        } finally {
            frame.release();
        }
    }

    private static Message decode(String frameHex, DecodeContext context) {
        ByteBuf frame = Frames.withoutLength(frameHex);
        try {
            return MessageCodec.decode(frame, context);
        } finally {
            frame.release();
        }
    }

    private static String compact(String hex) {
        return hex.replace(" ", "");
    }

    @Test
    void shouldProduceDocumentedAnswerWhenSourceAnswersDocumentedRequest() {
        HandshakeRequest request = (HandshakeRequest) decode(REQUEST, DecodeContext.handshake());
        assertEquals(new HandshakeRequest(1, 1, ConnectionRole.CONTROL, 0x1F, 4096, PAGE_COUNT, SESSION_ID), request);

        HandshakeAnswer answer = HandshakeNegotiator.answer(request, SOURCE, id -> false);
        assertEquals(compact(ANSWER), encode(answer));

        NegotiatedSession session = HandshakeNegotiator.accept(request, answer);
        assertEquals(0x0F, session.grantedFeatures());

        HandshakeRequest urgent = (HandshakeRequest) decode(URGENT_REQUEST, DecodeContext.handshake());
        assertEquals(ConnectionRole.URGENT, urgent.role());
        assertEquals(compact(ANSWER), encode(HandshakeNegotiator.answer(urgent, SOURCE, id -> id == SESSION_ID)));
    }

    @Test
    void shouldProduceDocumentedRefusalWhenRequestHasUndefinedBit() {
        HandshakeRequest request = (HandshakeRequest) decode(REFUSED_REQUEST, DecodeContext.handshake());
        assertEquals(compact(REFUSED_ANSWER), encode(HandshakeNegotiator.answer(request, SOURCE, id -> false)));
    }

    @Test
    void shouldProduceDocumentedAnswerWhenDestinationResumesItsSession() {
        HandshakeRequest request = (HandshakeRequest) decode(RESUME_REQUEST, DecodeContext.handshake());
        assertEquals(new HandshakeRequest(1, 1, ConnectionRole.RESUME, 0x3F, 4096, PAGE_COUNT, SESSION_ID), request);
        assertEquals(compact(RESUME_ANSWER), encode(HandshakeNegotiator.answer(request, SOURCE,
            id -> id == SESSION_ID)));
        assertEquals(ProtocolErrorCode.SESSION_MISMATCH,
            HandshakeNegotiator.answer(request, SOURCE, id -> false).refusalCode());

        ReceivedBitmap bitmap = (ReceivedBitmap) decode(RECEIVED_BITMAP, DecodeContext.session(4096, 128, 0x3F));
        assertTrue(bitmap.isReceived(0) && bitmap.isReceived(71));
        assertTrue(!bitmap.isReceived(72) && !bitmap.isReceived(127));
        assertEquals(compact(RECEIVED_BITMAP), encode(bitmap));
    }

    @Test
    void shouldMatchDocumentedFramesWhenEncodingFaultAndError() {
        assertEquals(compact(DEMAND_REQUEST), encode(PageRequest.of(RequestKind.DEMAND, 0x1234)));
        assertEquals(compact(ZERO_ANSWER), encode(PageData.zero(0x1234, PageDataOrigin.DEMAND)));
        assertEquals(compact(ERROR), encode(ErrorMessage.of(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
            "PAGE_REQUEST: pageIndex=1000 (expected: 0..999)")));
    }

    @Test
    void shouldMatchDocumentedFramesWhenEncodingBackgroundRuns() {
        ByteBuf pages = Unpooled.buffer(64 * 4096).writeZero(64 * 4096).setByte(0, 1);
        PageRun raw = PageRun.raw(0x2000, 64, PageDataOrigin.BACKGROUND, pages);
        try {
            String frame = encode(raw);
            assertEquals(compact(RAW_RUN_HEADER), frame.substring(0, compact(RAW_RUN_HEADER).length()));
            assertEquals(2 * (19 + 64 * 4096), frame.length(), "the header, then the 262144 bytes of the pages");
        } finally {
            raw.release();
        }
        assertEquals(compact(ZERO_RUN), encode(PageRun.zero(0x2040, 256, PageDataOrigin.BACKGROUND)));
        PageRun decoded = (PageRun) decode(ZERO_RUN, DecodeContext.session(4096, PAGE_COUNT, Features.KNOWN));
        assertEquals(PageRun.zero(0x2040, 256, PageDataOrigin.BACKGROUND), decoded);
    }

    @Test
    void shouldContainEveryExampleWhenReadingProtocolMd() throws IOException {
        String document = Files.readString(Path.of("PROTOCOL.md")).replace(" ", "").replace("\n", "");
        for (String example : new String[] {REQUEST, ANSWER, URGENT_REQUEST, REFUSED_REQUEST, REFUSED_ANSWER,
            RESUME_REQUEST, RESUME_ANSWER, RECEIVED_BITMAP, DEMAND_REQUEST, ZERO_ANSWER, RAW_RUN_HEADER, ZERO_RUN,
            ERROR}) {
            assertTrue(document.contains(compact(example)), "PROTOCOL.md lacks " + example);
        }
    }
}
