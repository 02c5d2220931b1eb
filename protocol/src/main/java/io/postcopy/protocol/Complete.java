package io.postcopy.protocol;

/**
 * COMPLETE (0x23): the source has sent every page of the session (each exactly once, as PAGE_DATA or covered by
 * a discard); the destination may close the session once it has installed them all. Empty body.
 */
public record Complete() implements Message {
    @Override
    public MessageType type() {
        return MessageType.COMPLETE;
    }
}
