package io.postcopy.engine.error;

/**
 * Every failure the engine or a peer can report, with the number that travels on the wire in an ERROR frame
 * (protocol/PROTOCOL.md, "Error codes"). Numbers are stable: a code is never renumbered or reused.
 */
public enum ErrorCode {
    /** A frame's bytes do not form a valid message (bad length, truncated body, bad field value). */
    MALFORMED_FRAME(1),
    /** The peer speaks a protocol version this side does not implement. */
    UNSUPPORTED_VERSION(2),
    /** A feature bit this side does not understand was requested or granted. */
    UNKNOWN_FEATURE(3),
    /** A page index outside [0, pageCount). */
    PAGE_OUT_OF_RANGE(4),
    /** A frame longer than the negotiated maximum. */
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

    private final int wireValue;

    ErrorCode(int wireValue) {
        this.wireValue = wireValue;
    }

    /** The number carried in an ERROR frame's code field (u16). */
    public int wireValue() {
        return wireValue;
    }

    /**
     * Finds the code for a wire value.
     *
     * @param wireValue the u16 from an ERROR frame
     * @return the code, or {@link #INTERNAL} for a number this side does not know (a newer peer's code)
     */
    public static ErrorCode fromWireValue(int wireValue) {
        for (ErrorCode code : values()) {
            if (code.wireValue == wireValue) {
                return code;
            }
        }
        return INTERNAL;
    }
}
