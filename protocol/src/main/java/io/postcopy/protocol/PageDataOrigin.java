package io.postcopy.protocol;

/**
 * Why the source sent a page (u8 in PAGE_DATA). Mirrors {@code io.postcopy.engine.port.PageOrigin}; named
 * differently so the two can be used side by side in the transport.
 */
public enum PageDataOrigin {
    /** Answer to a PAGE_REQUEST. */
    DEMAND(1),
    /** Pushed by the source's background stream. */
    BACKGROUND(2),
    /** Sent during a precopy round while the source still ran. Needs {@link Feature#PRECOPY}. */
    PRECOPY(3);

    private final int wireValue;

    PageDataOrigin(int wireValue) {
        this.wireValue = wireValue;
    }

    /** The u8 on the wire. */
    public int wireValue() {
        return wireValue;
    }

    /** The origin of a wire value, or {@code null} if unknown. */
    public static PageDataOrigin fromWireValue(int wireValue) {
        for (PageDataOrigin origin : values()) {
            if (origin.wireValue == wireValue) {
                return origin;
            }
        }
        return null;
    }
}
