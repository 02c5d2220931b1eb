package io.postcopy.protocol;

/** How a PAGE_DATA carries the page's content (u8 on the wire). */
public enum PageEncoding {
    /** Exactly page-size bytes of content follow. */
    RAW(1),
    /** The page is all zeros; no content follows. Needs {@link Feature#ZERO_PAGE_ENCODING}. */
    ZERO(2);

    private final int wireValue;

    PageEncoding(int wireValue) {
        this.wireValue = wireValue;
    }

    /** The u8 on the wire. */
    public int wireValue() {
        return wireValue;
    }

    /** The encoding of a wire value, or {@code null} if unknown. */
    public static PageEncoding fromWireValue(int wireValue) {
        for (PageEncoding encoding : values()) {
            if (encoding.wireValue == wireValue) {
                return encoding;
            }
        }
        return null;
    }
}
