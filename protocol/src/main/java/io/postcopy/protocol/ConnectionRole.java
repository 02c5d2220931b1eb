package io.postcopy.protocol;

/**
 * What a connection of a session carries (PROTOCOL.md, "Connections"). One session may use several TCP
 * connections, all presenting the same session id: the CONTROL one first, then (with {@link
 * Feature#URGENT_CHANNEL}) one URGENT and one BACKGROUND connection. After a network loss (with {@link
 * Feature#RECOVERY}) a RESUME connection replaces CONTROL and new URGENT and BACKGROUND connections join again.
 */
public enum ConnectionRole {
    /** Handshake, state transfer, discards, digests, completion; all traffic if there is no other connection. */
    CONTROL(1),
    /** Demand page requests and their PAGE_DATA answers, never behind background traffic. */
    URGENT(2),
    /** The source's background page stream and prefetch requests. */
    BACKGROUND(3),
    /**
     * A CONTROL connection that resumes an existing session after a network loss (PROTOCOL.md section 9); needs
     * {@link Feature#RECOVERY}. Once accepted it carries what CONTROL carries, and starts with RECEIVED_BITMAP.
     */
    RESUME(4);

    private final int wireValue;

    ConnectionRole(int wireValue) {
        this.wireValue = wireValue;
    }

    /** Whether this connection is the session's control connection: {@link #CONTROL} or {@link #RESUME}. */
    public boolean isControl() {
        return this == CONTROL || this == RESUME;
    }

    /** The u8 on the wire. */
    public int wireValue() {
        return wireValue;
    }

    /** The role of a wire value, or {@code null} if unknown. */
    public static ConnectionRole fromWireValue(int wireValue) {
        for (ConnectionRole role : values()) {
            if (role.wireValue == wireValue) {
                return role;
            }
        }
        return null;
    }
}
