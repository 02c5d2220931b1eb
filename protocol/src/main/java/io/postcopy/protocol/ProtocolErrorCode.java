package io.postcopy.protocol;

/**
 * The error codes that travel on the wire, in the status field of a HANDSHAKE_ANSWER and the code field (u16) of
 * an ERROR frame. The numbering is exactly that of {@code io.postcopy.engine.error.ErrorCode} (a test in the
 * transport module holds the two together); numbers are never renumbered or reused. See PROTOCOL.md, "Error
 * codes", for what the receiver of each one does.
 */
public enum ProtocolErrorCode {
    /** A frame's bytes do not form a valid message (bad length, truncated body, bad field value). */
    MALFORMED_FRAME(1),
    /** The peer speaks a protocol version this side does not implement. */
    UNSUPPORTED_VERSION(2),
    /** A feature bit this side does not understand was requested or granted. */
    UNKNOWN_FEATURE(3),
    /** A page index outside [0, pageCount). */
    PAGE_OUT_OF_RANGE(4),
    /** A frame longer than {@link Protocol#MAX_FRAME_LENGTH}. */
    FRAME_TOO_LARGE(5),
    /** A message type this side does not know. */
    UNKNOWN_MESSAGE_TYPE(6),
    /** A valid message at a point of the conversation where it is not allowed. */
    UNEXPECTED_MESSAGE(7),
    /** The session id does not match the one agreed in the handshake. */
    SESSION_MISMATCH(8),
    /** The two sides disagree on page size or page count. */
    GEOMETRY_MISMATCH(9),
    /** A deadline passed: a page, an answer or a peer did not arrive in time. */
    TIMEOUT(10),
    /** The peer closed the connection or stopped answering. */
    PEER_GONE(11),
    /** A bug or an unexpected condition on the reporting side. */
    INTERNAL(12),
    /** A caller passed an argument outside its documented range. */
    INVALID_ARGUMENT(13),
    /** Migrated content does not match the source's content. */
    INTEGRITY(14),
    /** A device refused a state transition or its state stream was invalid. */
    DEVICE_STATE(15),
    /** A native capability (userfaultfd, mmap, ...) is missing or failed. */
    NATIVE(16);

    private static final ProtocolErrorCode[] BY_WIRE_VALUE = new ProtocolErrorCode[17];

    static {
        for (ProtocolErrorCode code : values()) {
            BY_WIRE_VALUE[code.wireValue] = code;
        }
    }

    private final int wireValue;

    ProtocolErrorCode(int wireValue) {
        this.wireValue = wireValue;
    }

    /** The number carried on the wire (u16, never 0: 0 means "no error" in a HANDSHAKE_ANSWER status). */
    public int wireValue() {
        return wireValue;
    }

    /**
     * Finds the code for a wire value.
     *
     * @param wireValue a u16 from the wire
     * @return the code, or {@link #INTERNAL} for a number this side does not know (a newer peer's code)
     */
    public static ProtocolErrorCode fromWireValue(int wireValue) {
        if (wireValue > 0 && wireValue < BY_WIRE_VALUE.length) {
            return BY_WIRE_VALUE[wireValue];
        }
        return INTERNAL;
    }
}
