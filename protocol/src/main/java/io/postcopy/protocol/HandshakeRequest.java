package io.postcopy.protocol;

/**
 * HANDSHAKE_REQUEST (0x01): the first frame the destination sends on every connection of a session. The body
 * starts with {@link Protocol#MAGIC}, which the codec writes and checks; it is not a component.
 *
 * @param minVersion        lowest protocol version the destination speaks, 1..65535
 * @param maxVersion        highest protocol version the destination speaks, minVersion..65535
 * @param role              what this connection carries
 * @param requestedFeatures the feature bits the destination asks for; may hold bits unknown to the receiver, which
 *                          then refuses with {@link ProtocolErrorCode#UNKNOWN_FEATURE}
 * @param pageSizeInBytes   the page size the destination expects, or 0 together with {@code pageCount == 0} to
 *                          adopt the source's geometry
 * @param pageCount         the number of pages the destination expects, or 0 (see above)
 * @param sessionId         opaque non-zero u64 chosen by the destination for the CONTROL connection and repeated
 *                          on every further connection of the session
 */
public record HandshakeRequest(int minVersion, int maxVersion, ConnectionRole role, long requestedFeatures,
                               int pageSizeInBytes, long pageCount, long sessionId) implements Message {
    /** Size of the body on the wire, in bytes. */
    public static final int BODY_LENGTH_IN_BYTES = 37;

    /** Validates the ranges; see the record's parameters. */
    public HandshakeRequest {
        Checks.u16(minVersion, "minVersion");
        Checks.u16(maxVersion, "maxVersion");
        if (minVersion < 1 || maxVersion < minVersion) {
            throw ProtocolException.invalidArgument("versions " + minVersion + ".." + maxVersion
                + " (expected: 1 <= minVersion <= maxVersion)");
        }
        Checks.notNull(role, "role");
        Checks.pageSizeOrZero(pageSizeInBytes, pageCount);
        if (sessionId == 0) {
            throw ProtocolException.invalidArgument("sessionId=0 (expected: non-zero)");
        }
    }

    /** Whether the destination leaves the geometry to the source (page size and count both 0). */
    public boolean adoptsSourceGeometry() {
        return pageSizeInBytes == 0;
    }

    @Override
    public MessageType type() {
        return MessageType.HANDSHAKE_REQUEST;
    }
}
