package io.postcopy.protocol;

/**
 * PING (0x03): asks the peer for a {@link Pong} with the same nonce (liveness and round-trip time).
 *
 * @param nonce opaque u64 chosen by the sender
 */
public record Ping(long nonce) implements Message {
    @Override
    public MessageType type() {
        return MessageType.PING;
    }
}
