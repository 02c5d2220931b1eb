package io.postcopy.protocol;

/**
 * One protocol message: the decoded form of one frame. Every implementation is an immutable record, safe to pass
 * between threads. Only the {@link ContentMessage}s (PageData, PageRun) hold a buffer; they are reference counted,
 * and whoever consumes one last releases it (in a {@code finally}). Encode and decode with {@link MessageCodec}.
 */
public sealed interface Message permits HandshakeRequest, HandshakeAnswer, Ping, Pong, ErrorMessage, PageRequest,
    ContentMessage, DiscardRanges, PageDigests, ReceivedBitmap, Switchover, VcpuState, DeviceStateChunk, Complete {

    /** The frame type this message travels as. */
    MessageType type();
}
