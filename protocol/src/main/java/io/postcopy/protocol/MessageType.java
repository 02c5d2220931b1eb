package io.postcopy.protocol;

/**
 * The u8 type field of a frame. Values are never renumbered or reused; a receiver that meets a value it does not
 * know answers {@link ProtocolErrorCode#UNKNOWN_MESSAGE_TYPE} (PROTOCOL.md, "Message types").
 */
public enum MessageType {
    /** Destination to source, first frame on every connection. */
    HANDSHAKE_REQUEST(0x01, Phase.HANDSHAKE, null),
    /** Source to destination, answer to HANDSHAKE_REQUEST. */
    HANDSHAKE_ANSWER(0x02, Phase.HANDSHAKE, null),
    /** Either direction, asks for a PONG with the same nonce. */
    PING(0x03, Phase.ANY, null),
    /** Either direction, answers a PING. */
    PONG(0x04, Phase.ANY, null),
    /** Either direction, the sender is about to close the connection because of a failure. */
    ERROR(0x05, Phase.ANY, null),
    /** Destination to source, a batch of page indexes it wants. */
    PAGE_REQUEST(0x10, Phase.SESSION, null),
    /** Source to destination, one page's content. */
    PAGE_DATA(0x11, Phase.SESSION, null),
    /** Source to destination, page ranges whose earlier content is stale. */
    DISCARD_RANGES(0x12, Phase.SESSION, Feature.DISCARD),
    /** Source to destination, digests of a run of pages. */
    PAGE_DIGESTS(0x13, Phase.SESSION, Feature.PAGE_DIGESTS),
    /** Destination to source, which pages of a run the destination holds (recovery). */
    RECEIVED_BITMAP(0x14, Phase.SESSION, Feature.RECOVERY),
    /** Source to destination, a run of contiguous pages' content in one frame. */
    PAGE_RUN(0x15, Phase.SESSION, Feature.PAGE_RUNS),
    /** Source to destination, the source has stopped its vCPUs; state follows. */
    SWITCHOVER(0x20, Phase.SESSION, null),
    /** Source to destination, one vCPU's state. */
    VCPU_STATE(0x21, Phase.SESSION, null),
    /** Source to destination, one chunk of one device's state stream. */
    DEVICE_STATE_CHUNK(0x22, Phase.SESSION, Feature.DEVICE_STATE),
    /** Source to destination, every page has been sent. */
    COMPLETE(0x23, Phase.SESSION, null);

    /** When a message type may be received. */
    public enum Phase {
        /** Only before the handshake has completed. */
        HANDSHAKE,
        /** Only after the handshake has completed. */
        SESSION,
        /** At any time. */
        ANY
    }

    private static final MessageType[] BY_WIRE_VALUE = new MessageType[256];

    static {
        for (MessageType type : values()) {
            BY_WIRE_VALUE[type.wireValue] = type;
        }
    }

    private final int wireValue;
    private final Phase phase;
    private final Feature requiredFeature;

    MessageType(int wireValue, Phase phase, Feature requiredFeature) {
        this.wireValue = wireValue;
        this.phase = phase;
        this.requiredFeature = requiredFeature;
    }

    /** The u8 on the wire. */
    public int wireValue() {
        return wireValue;
    }

    /** When this type may be received. */
    public Phase phase() {
        return phase;
    }

    /** The feature that must have been granted before this type may be sent, or {@code null} if none. */
    public Feature requiredFeature() {
        return requiredFeature;
    }

    /**
     * Finds the type of a wire value.
     *
     * @param wireValue the u8 type field, 0..255
     * @return the type, or {@code null} if this implementation does not know it
     */
    public static MessageType fromWireValue(int wireValue) {
        return wireValue >= 0 && wireValue < BY_WIRE_VALUE.length ? BY_WIRE_VALUE[wireValue] : null;
    }
}
