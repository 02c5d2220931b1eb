package io.postcopy.protocol;

import org.junit.jupiter.api.Test;

import java.util.function.LongPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandshakeNegotiatorTest {
    private static final long SESSION_ID = 0x5E55_1011L;
    private static final LongPredicate NO_SESSIONS = id -> false;
    private static final long ZERO_AND_DIGESTS = Features.of(Feature.ZERO_PAGE_ENCODING, Feature.PAGE_DIGESTS);
    private static final SourceCapabilities SOURCE = new SourceCapabilities(1, 3,
        Features.of(Feature.ZERO_PAGE_ENCODING, Feature.URGENT_CHANNEL, Feature.DISCARD), 4096, 1000);

    private static HandshakeRequest request(int minVersion, int maxVersion, long features) {
        return new HandshakeRequest(minVersion, maxVersion, ConnectionRole.CONTROL, features, 4096, 1000, SESSION_ID);
    }

    @Test
    void shouldGrantSupportedSubsetAndHighestCommonVersionWhenRequestIsCompatible() {
        HandshakeRequest request = request(2, 5, ZERO_AND_DIGESTS);
        HandshakeAnswer answer = HandshakeNegotiator.answer(request, SOURCE, NO_SESSIONS);

        assertTrue(answer.isAccepted());
        assertEquals(3, answer.acceptedVersion());
        assertEquals(Feature.ZERO_PAGE_ENCODING.mask(), answer.grantedFeatures());
        assertEquals(SESSION_ID, answer.sessionId());

        NegotiatedSession session = HandshakeNegotiator.accept(request, answer);
        assertEquals(new NegotiatedSession(3, ConnectionRole.CONTROL, SESSION_ID, Feature.ZERO_PAGE_ENCODING.mask(),
            4096, 1000), session);
        assertTrue(session.isGranted(Feature.ZERO_PAGE_ENCODING));
        assertFalse(session.isGranted(Feature.PAGE_DIGESTS));
        assertEquals(DecodeContext.session(4096, 1000, Feature.ZERO_PAGE_ENCODING.mask()), session.decodeContext());
    }

    @Test
    void shouldRefuseUnsupportedVersionWhenRangesDoNotOverlap() {
        HandshakeRequest request = request(4, 9, 0);
        HandshakeAnswer answer = HandshakeNegotiator.answer(request, SOURCE, NO_SESSIONS);

        assertEquals(ProtocolErrorCode.UNSUPPORTED_VERSION, answer.refusalCode());
        assertEquals(3, answer.acceptedVersion(), "a refusal tells the source's highest version");
        ProtocolException e = assertThrows(ProtocolException.class, () -> HandshakeNegotiator.accept(request, answer));
        assertEquals(ProtocolErrorCode.UNSUPPORTED_VERSION, e.code());
    }

    @Test
    void shouldRefuseUnknownFeatureWhenAnyRequestedBitIsUnknownEvenIfOthersAreSupported() {
        long withUnknownBit = Feature.ZERO_PAGE_ENCODING.mask() | (1L << 40);
        HandshakeAnswer answer = HandshakeNegotiator.answer(request(1, 1, withUnknownBit), SOURCE, NO_SESSIONS);

        assertFalse(answer.isAccepted());
        assertEquals(ProtocolErrorCode.UNKNOWN_FEATURE, answer.refusalCode());
        assertEquals(0, answer.grantedFeatures());
    }

    @Test
    void shouldNotGrantKnownButUnsupportedFeatureWhenRequested() {
        HandshakeAnswer answer = HandshakeNegotiator.answer(request(1, 1, Feature.RECOVERY.mask()), SOURCE,
            NO_SESSIONS);

        assertTrue(answer.isAccepted());
        assertEquals(0, answer.grantedFeatures());
    }

    @Test
    void shouldRefuseGeometryMismatchWhenDestinationExpectsOtherGeometry() {
        HandshakeRequest request = new HandshakeRequest(1, 1, ConnectionRole.CONTROL, 0, 4096, 999, SESSION_ID);
        HandshakeAnswer answer = HandshakeNegotiator.answer(request, SOURCE, NO_SESSIONS);

        assertEquals(ProtocolErrorCode.GEOMETRY_MISMATCH, answer.refusalCode());
        assertEquals(1000, answer.pageCount(), "a refusal tells the source's geometry");
    }

    @Test
    void shouldAdoptSourceGeometryWhenRequestLeavesItOpen() {
        HandshakeRequest request = new HandshakeRequest(1, 1, ConnectionRole.CONTROL, 0, 0, 0, SESSION_ID);
        NegotiatedSession session = HandshakeNegotiator.accept(request,
            HandshakeNegotiator.answer(request, SOURCE, NO_SESSIONS));

        assertEquals(4096, session.pageSizeInBytes());
        assertEquals(1000, session.pageCount());
    }

    @Test
    void shouldRefuseSecondaryConnectionWhenUrgentChannelIsNotGranted() {
        HandshakeRequest request = new HandshakeRequest(1, 1, ConnectionRole.URGENT, 0, 4096, 1000, SESSION_ID);
        HandshakeAnswer answer = HandshakeNegotiator.answer(request, SOURCE, id -> true);

        assertEquals(ProtocolErrorCode.UNEXPECTED_MESSAGE, answer.refusalCode());
    }

    @Test
    void shouldRefuseResumeWhenRecoveryIsNotGrantedOrSessionIsUnknown() {
        SourceCapabilities recovering = new SourceCapabilities(1, 1,
            Features.of(Feature.URGENT_CHANNEL, Feature.RECOVERY), 4096, 1000);
        HandshakeRequest withoutRecovery = new HandshakeRequest(1, 1, ConnectionRole.RESUME,
            Feature.URGENT_CHANNEL.mask(), 4096, 1000, SESSION_ID);
        assertEquals(ProtocolErrorCode.UNEXPECTED_MESSAGE,
            HandshakeNegotiator.answer(withoutRecovery, recovering, id -> true).refusalCode());
        HandshakeRequest resume = new HandshakeRequest(1, 1, ConnectionRole.RESUME,
            Features.of(Feature.URGENT_CHANNEL, Feature.RECOVERY), 4096, 1000, SESSION_ID);
        assertEquals(ProtocolErrorCode.UNEXPECTED_MESSAGE,
            HandshakeNegotiator.answer(resume, SOURCE, id -> true).refusalCode(), "a source without RECOVERY");
        assertEquals(ProtocolErrorCode.SESSION_MISMATCH,
            HandshakeNegotiator.answer(resume, recovering, id -> id == SESSION_ID + 1).refusalCode());
        HandshakeAnswer accepted = HandshakeNegotiator.answer(resume, recovering, id -> id == SESSION_ID);
        assertTrue(accepted.isAccepted());
        assertEquals(resume.requestedFeatures(), accepted.grantedFeatures());
    }

    @Test
    void shouldRefuseSessionMismatchWhenSecondaryConnectionNamesUnknownSession() {
        HandshakeRequest request = new HandshakeRequest(1, 1, ConnectionRole.BACKGROUND,
            Feature.URGENT_CHANNEL.mask(), 4096, 1000, SESSION_ID);

        assertEquals(ProtocolErrorCode.SESSION_MISMATCH,
            HandshakeNegotiator.answer(request, SOURCE, id -> id == SESSION_ID + 1).refusalCode());
        assertTrue(HandshakeNegotiator.answer(request, SOURCE, id -> id == SESSION_ID).isAccepted());
    }

    @Test
    void shouldRejectAnswerWhenItGrantsUnrequestedFeature() {
        HandshakeRequest request = request(1, 1, Feature.ZERO_PAGE_ENCODING.mask());
        HandshakeAnswer answer = new HandshakeAnswer(0, 1, SESSION_ID,
            Features.of(Feature.ZERO_PAGE_ENCODING, Feature.DISCARD), 4096, 1000);

        ProtocolException e = assertThrows(ProtocolException.class, () -> HandshakeNegotiator.accept(request, answer));
        assertEquals(ProtocolErrorCode.UNKNOWN_FEATURE, e.code());
    }

    @Test
    void shouldRejectAnswerWhenItGrantsUnknownFeature() {
        long unknown = 1L << 63;
        HandshakeRequest request = request(1, 1, unknown);
        HandshakeAnswer answer = new HandshakeAnswer(0, 1, SESSION_ID, unknown, 4096, 1000);

        ProtocolException e = assertThrows(ProtocolException.class, () -> HandshakeNegotiator.accept(request, answer));
        assertEquals(ProtocolErrorCode.UNKNOWN_FEATURE, e.code());
    }

    @Test
    void shouldRejectAnswerWhenVersionIsOutsideRequestedRange() {
        HandshakeRequest request = request(1, 2, 0);
        HandshakeAnswer answer = new HandshakeAnswer(0, 3, SESSION_ID, 0, 4096, 1000);

        ProtocolException e = assertThrows(ProtocolException.class, () -> HandshakeNegotiator.accept(request, answer));
        assertEquals(ProtocolErrorCode.UNSUPPORTED_VERSION, e.code());
    }

    @Test
    void shouldRejectAnswerWhenSessionIdIsNotEchoed() {
        HandshakeRequest request = request(1, 1, 0);
        HandshakeAnswer answer = new HandshakeAnswer(0, 1, SESSION_ID + 1, 0, 4096, 1000);

        ProtocolException e = assertThrows(ProtocolException.class, () -> HandshakeNegotiator.accept(request, answer));
        assertEquals(ProtocolErrorCode.SESSION_MISMATCH, e.code());
    }

    @Test
    void shouldRejectAnswerWhenGeometryDiffersFromRequested() {
        HandshakeRequest request = request(1, 1, 0);
        HandshakeAnswer answer = new HandshakeAnswer(0, 1, SESSION_ID, 0, 8192, 1000);

        ProtocolException e = assertThrows(ProtocolException.class, () -> HandshakeNegotiator.accept(request, answer));
        assertEquals(ProtocolErrorCode.GEOMETRY_MISMATCH, e.code());
    }

    @Test
    void shouldRejectSourceCapabilitiesWhenTheyClaimUnknownFeature() {
        ProtocolException e = assertThrows(ProtocolException.class,
            () -> new SourceCapabilities(1, 1, 1L << 50, 4096, 1000));
        assertEquals(ProtocolErrorCode.INVALID_ARGUMENT, e.code());
    }

    private static final NegotiatedSession CONTROL_TERMS = new NegotiatedSession(1, ConnectionRole.CONTROL,
        SESSION_ID, Features.of(Feature.ZERO_PAGE_ENCODING, Feature.URGENT_CHANNEL), 4096, 1000);

    @Test
    void shouldAcceptJoiningConnectionWhenItWasGrantedWhatControlWas() {
        HandshakeNegotiator.requireSameTerms(CONTROL_TERMS, new NegotiatedSession(1, ConnectionRole.BACKGROUND,
            SESSION_ID, CONTROL_TERMS.grantedFeatures(), 4096, 1000));
    }

    @Test
    void shouldRejectJoiningConnectionWhenItsGrantDiffersFromControls() {
        NegotiatedSession fewerFeatures = new NegotiatedSession(1, ConnectionRole.URGENT, SESSION_ID,
            Feature.URGENT_CHANNEL.mask(), 4096, 1000);
        NegotiatedSession otherVersion = new NegotiatedSession(2, ConnectionRole.URGENT, SESSION_ID,
            CONTROL_TERMS.grantedFeatures(), 4096, 1000);
        NegotiatedSession otherGeometry = new NegotiatedSession(1, ConnectionRole.BACKGROUND, SESSION_ID,
            CONTROL_TERMS.grantedFeatures(), 4096, 999);
        NegotiatedSession otherSession = new NegotiatedSession(1, ConnectionRole.BACKGROUND, SESSION_ID + 1,
            CONTROL_TERMS.grantedFeatures(), 4096, 1000);

        ProtocolException features = assertThrows(ProtocolException.class,
            () -> HandshakeNegotiator.requireSameTerms(CONTROL_TERMS, fewerFeatures));
        assertEquals(ProtocolErrorCode.UNEXPECTED_MESSAGE, features.code());
        assertTrue(features.getMessage().contains("URGENT connection"), features.getMessage());
        assertTrue(features.getMessage().contains("ZERO_PAGE_ENCODING"), features.getMessage());
        assertEquals(ProtocolErrorCode.UNEXPECTED_MESSAGE, assertThrows(ProtocolException.class,
            () -> HandshakeNegotiator.requireSameTerms(CONTROL_TERMS, otherVersion)).code());
        assertEquals(ProtocolErrorCode.GEOMETRY_MISMATCH, assertThrows(ProtocolException.class,
            () -> HandshakeNegotiator.requireSameTerms(CONTROL_TERMS, otherGeometry)).code());
        assertEquals(ProtocolErrorCode.SESSION_MISMATCH, assertThrows(ProtocolException.class,
            () -> HandshakeNegotiator.requireSameTerms(CONTROL_TERMS, otherSession)).code());
    }
}
