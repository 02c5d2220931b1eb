package io.postcopy.protocol;

/**
 * What the decoder knows of the conversation, so that it can reject a well-formed frame that is not allowed or not
 * valid at this point: before the handshake only handshake, PING, PONG and ERROR frames decode; after it, the
 * session's page size and page count bound page indexes and RAW content, and message types or field values of a
 * feature that was not granted are refused with {@link ProtocolErrorCode#UNEXPECTED_MESSAGE}.
 *
 * <p>Immutable. A channel replaces its context (one volatile write) when its handshake completes.
 *
 * @param handshakeComplete whether the handshake has completed
 * @param pageSizeInBytes   the session's page size, or 0 before the handshake
 * @param pageCount         the session's page count, or 0 before the handshake
 * @param grantedFeatures   the session's granted feature bits, or 0 before the handshake
 */
public record DecodeContext(boolean handshakeComplete, int pageSizeInBytes, long pageCount, long grantedFeatures) {
    private static final DecodeContext HANDSHAKE = new DecodeContext(false, 0, 0, 0);

    /** Validates the ranges; see the record's parameters. */
    public DecodeContext {
        if (handshakeComplete) {
            Checks.pageSize(pageSizeInBytes);
            Checks.pageCount(pageCount);
            if (Features.unknownBits(grantedFeatures) != 0) {
                throw ProtocolException.invalidArgument("grantedFeatures=" + Features.toString(grantedFeatures)
                    + " (expected: known bits only)");
            }
        } else if (pageSizeInBytes != 0 || pageCount != 0 || grantedFeatures != 0) {
            throw ProtocolException.invalidArgument("a handshake context carries no geometry or features");
        }
    }

    /** The context before the handshake has completed. */
    public static DecodeContext handshake() {
        return HANDSHAKE;
    }

    /** The context of a negotiated session. */
    public static DecodeContext session(int pageSizeInBytes, long pageCount, long grantedFeatures) {
        return new DecodeContext(true, pageSizeInBytes, pageCount, grantedFeatures);
    }

    /** Whether {@code feature} was granted. */
    public boolean isGranted(Feature feature) {
        return Features.contains(grantedFeatures, feature);
    }
}
