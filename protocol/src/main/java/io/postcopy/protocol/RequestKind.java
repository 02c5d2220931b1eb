package io.postcopy.protocol;

/** Why the destination asks for pages in a PAGE_REQUEST (u8 on the wire). */
public enum RequestKind {
    /** A vCPU or device is blocked on these pages: answer first, on the same (URGENT) connection. */
    DEMAND(1),
    /** Wanted soon (prefetch around a fault, a resent request after recovery); may queue behind demand. */
    PREFETCH(2);

    private final int wireValue;

    RequestKind(int wireValue) {
        this.wireValue = wireValue;
    }

    /** The u8 on the wire. */
    public int wireValue() {
        return wireValue;
    }

    /** The kind of a wire value, or {@code null} if unknown. */
    public static RequestKind fromWireValue(int wireValue) {
        for (RequestKind kind : values()) {
            if (kind.wireValue == wireValue) {
                return kind;
            }
        }
        return null;
    }
}
