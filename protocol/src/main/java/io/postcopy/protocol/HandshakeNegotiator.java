package io.postcopy.protocol;

import java.util.function.LongPredicate;

/**
 * The handshake's decisions, as pure functions (PROTOCOL.md, "Handshake"). The destination asks; the source
 * {@linkplain #answer answers} with the highest common version and the requested features it supports, and refuses
 * outright a request that holds a bit it does not know (seed 002: unknown bits are refused, never ignored); the
 * destination {@linkplain #accept accepts} the answer only if it grants a subset of what it asked for. Stateless
 * and thread-safe.
 */
public final class HandshakeNegotiator {
    private HandshakeNegotiator() {
    }

    /**
     * The source's answer to {@code request}. Refusals, in the order checked: {@link
     * ProtocolErrorCode#UNSUPPORTED_VERSION} (no common version), {@link ProtocolErrorCode#UNKNOWN_FEATURE} (a
     * requested bit the source does not know, even if the rest could be granted), {@link
     * ProtocolErrorCode#GEOMETRY_MISMATCH} (the destination expects another page size or count), {@link
     * ProtocolErrorCode#UNEXPECTED_MESSAGE} (an URGENT or BACKGROUND connection without {@link
     * Feature#URGENT_CHANNEL} granted), {@link ProtocolErrorCode#SESSION_MISMATCH} (an URGENT or BACKGROUND
     * connection for a session that {@code isOpenSession} does not know); for a RESUME connection {@link
     * ProtocolErrorCode#UNEXPECTED_MESSAGE} without {@link Feature#RECOVERY} granted and {@link
     * ProtocolErrorCode#SESSION_MISMATCH} for a session that {@code isOpenSession} does not know.
     *
     * @param request       the destination's request
     * @param source        what the source offers
     * @param isOpenSession whether a session id belongs to a session whose CONTROL connection completed its
     *                      handshake (and, for RESUME, that still waits to be resumed); consulted for URGENT,
     *                      BACKGROUND and RESUME connections
     * @return an accepted answer, or a refusal that the source sends before closing the connection
     */
    public static HandshakeAnswer answer(HandshakeRequest request, SourceCapabilities source,
                                         LongPredicate isOpenSession) {
        int version = Math.min(request.maxVersion(), source.maxVersion());
        if (version < Math.max(request.minVersion(), source.minVersion())) {
            return refuse(ProtocolErrorCode.UNSUPPORTED_VERSION, request, source);
        }
        if (Features.unknownBits(request.requestedFeatures()) != 0) {
            return refuse(ProtocolErrorCode.UNKNOWN_FEATURE, request, source);
        }
        if (!request.adoptsSourceGeometry() && (request.pageSizeInBytes() != source.pageSizeInBytes()
            || request.pageCount() != source.pageCount())) {
            return refuse(ProtocolErrorCode.GEOMETRY_MISMATCH, request, source);
        }
        long granted = request.requestedFeatures() & source.supportedFeatures();
        if (request.role() == ConnectionRole.RESUME) {
            if (!Features.contains(granted, Feature.RECOVERY)) {
                return refuse(ProtocolErrorCode.UNEXPECTED_MESSAGE, request, source);
            }
            if (!isOpenSession.test(request.sessionId())) {
                return refuse(ProtocolErrorCode.SESSION_MISMATCH, request, source);
            }
        } else if (request.role() != ConnectionRole.CONTROL) {
            if (!Features.contains(granted, Feature.URGENT_CHANNEL)) {
                return refuse(ProtocolErrorCode.UNEXPECTED_MESSAGE, request, source);
            }
            if (!isOpenSession.test(request.sessionId())) {
                return refuse(ProtocolErrorCode.SESSION_MISMATCH, request, source);
            }
        }
        return new HandshakeAnswer(HandshakeAnswer.STATUS_ACCEPTED, version, request.sessionId(), granted,
            source.pageSizeInBytes(), source.pageCount());
    }

    /**
     * The destination's check of the source's answer to the request it sent.
     *
     * @param sent   the request this side sent on the connection
     * @param answer the answer received
     * @return the agreed terms
     * @throws ProtocolException with the refusal's code if the source refused; {@link
     *                           ProtocolErrorCode#SESSION_MISMATCH} if the session id is not echoed; {@link
     *                           ProtocolErrorCode#UNSUPPORTED_VERSION} if the version is outside the request's
     *                           range; {@link ProtocolErrorCode#UNKNOWN_FEATURE} if a granted bit is unknown or was
     *                           not requested; {@link ProtocolErrorCode#GEOMETRY_MISMATCH} if the geometry differs
     *                           from the one requested
     */
    public static NegotiatedSession accept(HandshakeRequest sent, HandshakeAnswer answer) {
        if (!answer.isAccepted()) {
            throw new ProtocolException(answer.refusalCode(), "the source refused the handshake with status "
                + answer.status() + " (it speaks up to version " + answer.acceptedVersion() + ", geometry "
                + answer.pageCount() + " x " + answer.pageSizeInBytes() + " bytes)");
        }
        if (answer.sessionId() != sent.sessionId()) {
            throw new ProtocolException(ProtocolErrorCode.SESSION_MISMATCH, "sessionId=0x"
                + Long.toHexString(answer.sessionId()) + " (expected: 0x" + Long.toHexString(sent.sessionId()) + ")");
        }
        if (answer.acceptedVersion() < sent.minVersion() || answer.acceptedVersion() > sent.maxVersion()) {
            throw new ProtocolException(ProtocolErrorCode.UNSUPPORTED_VERSION, "acceptedVersion="
                + answer.acceptedVersion() + " (expected: " + sent.minVersion() + ".." + sent.maxVersion() + ")");
        }
        long unknown = Features.unknownBits(answer.grantedFeatures());
        long unrequested = answer.grantedFeatures() & ~sent.requestedFeatures();
        if (unknown != 0 || unrequested != 0) {
            throw new ProtocolException(ProtocolErrorCode.UNKNOWN_FEATURE, "grantedFeatures="
                + Features.toString(answer.grantedFeatures()) + " (expected: a subset of requested "
                + Features.toString(sent.requestedFeatures()) + ")");
        }
        if (!sent.adoptsSourceGeometry() && (answer.pageSizeInBytes() != sent.pageSizeInBytes()
            || answer.pageCount() != sent.pageCount())) {
            throw new ProtocolException(ProtocolErrorCode.GEOMETRY_MISMATCH, "geometry " + answer.pageCount()
                + " x " + answer.pageSizeInBytes() + " bytes (expected: " + sent.pageCount() + " x "
                + sent.pageSizeInBytes() + ")");
        }
        return new NegotiatedSession(answer.acceptedVersion(), sent.role(), answer.sessionId(),
            answer.grantedFeatures(), answer.pageSizeInBytes(), answer.pageCount());
    }

    /**
     * Checks that a connection joining a session (URGENT or BACKGROUND) was granted exactly what the session's
     * CONTROL connection was: the same version, features, session id and geometry. Each connection does its own
     * handshake, but the session has one set of terms; a connection that differs would decode or send what the
     * others do not expect. Both sides may use it: the destination on the answers it reads, the source on the
     * answers it is about to send.
     *
     * @param control the terms of the session's CONTROL connection
     * @param joining the terms of the connection that joins it
     * @throws ProtocolException with {@link ProtocolErrorCode#SESSION_MISMATCH} if the session id differs, {@link
     *                           ProtocolErrorCode#GEOMETRY_MISMATCH} if the page size or count differs, {@link
     *                           ProtocolErrorCode#UNEXPECTED_MESSAGE} if the version or the granted features differ
     */
    public static void requireSameTerms(NegotiatedSession control, NegotiatedSession joining) {
        String what = joining.role() + " connection";
        if (joining.sessionId() != control.sessionId()) {
            throw new ProtocolException(ProtocolErrorCode.SESSION_MISMATCH, what + ": sessionId=0x"
                + Long.toHexString(joining.sessionId()) + " (expected: the CONTROL connection's 0x"
                + Long.toHexString(control.sessionId()) + ")");
        }
        if (joining.pageSizeInBytes() != control.pageSizeInBytes() || joining.pageCount() != control.pageCount()) {
            throw new ProtocolException(ProtocolErrorCode.GEOMETRY_MISMATCH, what + ": geometry "
                + joining.pageCount() + " x " + joining.pageSizeInBytes() + " bytes (expected: the CONTROL "
                + "connection's " + control.pageCount() + " x " + control.pageSizeInBytes() + ")");
        }
        if (joining.version() != control.version() || joining.grantedFeatures() != control.grantedFeatures()) {
            throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE, what + ": version "
                + joining.version() + ", features " + Features.toString(joining.grantedFeatures())
                + " (expected: the CONTROL connection's grant, version " + control.version() + ", features "
                + Features.toString(control.grantedFeatures()) + ")");
        }
    }

    private static HandshakeAnswer refuse(ProtocolErrorCode code, HandshakeRequest request,
                                          SourceCapabilities source) {
        return new HandshakeAnswer(code.wireValue(), source.maxVersion(), request.sessionId(), 0,
            source.pageSizeInBytes(), source.pageCount());
    }
}
