package io.postcopy.protocol;

/**
 * HANDSHAKE_ANSWER (0x02): the source's answer to a HANDSHAKE_REQUEST. The body starts with {@link
 * Protocol#MAGIC}, which the codec writes and checks; it is not a component.
 *
 * <p>If accepted ({@code status == 0}) the fields are the session's terms. If refused, {@code status} is a
 * {@link ProtocolErrorCode} wire value, the source closes the connection after sending it, and the other fields
 * are informational: {@code acceptedVersion} is the source's highest version, {@code grantedFeatures} is 0, the
 * geometry is the source's and the session id is echoed.
 *
 * @param status          0 when accepted, otherwise the wire value of the refusal's error code (u16)
 * @param acceptedVersion the version both sides now speak, 1..65535
 * @param sessionId       the request's session id, echoed
 * @param grantedFeatures the granted feature bits: a subset of the requested ones
 * @param pageSizeInBytes the session's page size (valid page size)
 * @param pageCount       the session's page count (valid page count)
 */
public record HandshakeAnswer(int status, int acceptedVersion, long sessionId, long grantedFeatures,
                              int pageSizeInBytes, long pageCount) implements Message {
    /** Size of the body on the wire, in bytes. */
    public static final int BODY_LENGTH_IN_BYTES = 36;
    /** The status of an accepted handshake. */
    public static final int STATUS_ACCEPTED = 0;

    /** Validates the ranges; see the record's parameters. */
    public HandshakeAnswer {
        Checks.u16(status, "status");
        Checks.u16(acceptedVersion, "acceptedVersion");
        if (acceptedVersion < 1) {
            throw ProtocolException.invalidArgument("acceptedVersion=0 (expected: 1..65535)");
        }
        Checks.pageSize(pageSizeInBytes);
        Checks.pageCount(pageCount);
        if (status != STATUS_ACCEPTED && grantedFeatures != 0) {
            throw ProtocolException.invalidArgument("grantedFeatures=0x" + Long.toHexString(grantedFeatures)
                + " with status=" + status + " (expected: 0 when refused)");
        }
    }

    /** Whether the source accepted the handshake. */
    public boolean isAccepted() {
        return status == STATUS_ACCEPTED;
    }

    /** The refusal's code; only meaningful when {@link #isAccepted()} is false. */
    public ProtocolErrorCode refusalCode() {
        return ProtocolErrorCode.fromWireValue(status);
    }

    @Override
    public MessageType type() {
        return MessageType.HANDSHAKE_ANSWER;
    }
}
