package io.postcopy.protocol;

/**
 * PONG (0x04): the answer to a {@link Ping}.
 *
 * @param nonce the nonce of the PING being answered
 */
public record Pong(long nonce) implements Message {
    @Override
    public MessageType type() {
        return MessageType.PONG;
    }
}
