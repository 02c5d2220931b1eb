package io.postcopy.protocol;

/**
 * The terms both sides agreed on for one connection of a session. Immutable.
 *
 * @param version         the protocol version spoken
 * @param role            what the connection carries
 * @param sessionId       the session's opaque id
 * @param grantedFeatures the granted feature bits
 * @param pageSizeInBytes the session's page size
 * @param pageCount       the session's page count
 */
public record NegotiatedSession(int version, ConnectionRole role, long sessionId, long grantedFeatures,
                                int pageSizeInBytes, long pageCount) {
    /** Whether {@code feature} was granted. */
    public boolean isGranted(Feature feature) {
        return Features.contains(grantedFeatures, feature);
    }

    /** The decode context for the rest of the connection. */
    public DecodeContext decodeContext() {
        return DecodeContext.session(pageSizeInBytes, pageCount, grantedFeatures);
    }
}
