package io.postcopy.protocol;

/**
 * One optional capability of the protocol, negotiated in the handshake as a bit of a u64 (PROTOCOL.md,
 * "Feature bits"). A bit number is never reused. A message type or field value that belongs to a feature may only
 * be sent once that feature was granted; a receiver treats it otherwise as {@link
 * ProtocolErrorCode#UNEXPECTED_MESSAGE}.
 */
public enum Feature {
    /** PAGE_DATA may use the ZERO encoding (no content bytes for an all-zero page). */
    ZERO_PAGE_ENCODING(0),
    /** The session may open URGENT and BACKGROUND connections besides the CONTROL one. */
    URGENT_CHANNEL(1),
    /** The source may send PAGE_DIGESTS so the destination can verify content. */
    PAGE_DIGESTS(2),
    /** The source may send DISCARD_RANGES (pages sent during precopy and dirtied again). */
    DISCARD(3),
    /** The source may send DEVICE_STATE_CHUNK messages. */
    DEVICE_STATE(4),
    /** The destination may reconnect a session after a connection loss and send RECEIVED_BITMAP. */
    RECOVERY(5),
    /** PAGE_DATA may carry the PRECOPY origin (pages sent while the source still ran). */
    PRECOPY(6),
    /** The source may send PAGE_RUN: a run of contiguous pages in one frame (RAW content back to back, or ZERO). */
    PAGE_RUNS(7);

    private final int bitNumber;

    Feature(int bitNumber) {
        this.bitNumber = bitNumber;
    }

    /** The bit's position in the u64 feature field, 0 = least significant. */
    public int bitNumber() {
        return bitNumber;
    }

    /** The feature as a mask: {@code 1L << bitNumber()}. */
    public long mask() {
        return 1L << bitNumber;
    }
}
