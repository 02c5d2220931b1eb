package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * A message that owns one reference to a buffer of page content (PAGE_DATA, PAGE_RUN). Its reference count is
 * the buffer's: retaining or releasing the message retains or releases {@link #content()}, so Netty's pipeline
 * releases it like a {@code ByteBuf}, and whoever consumes it last calls {@link #release()} in a {@code finally}.
 *
 * @param <M> the message type itself, returned by {@code retain} and {@code touch}
 */
public sealed interface ContentMessage<M extends ContentMessage<M>> extends Message, ReferenceCounted
    permits PageData, PageRun {
    /** The owned buffer: the readable bytes are the content. */
    ByteBuf content();

    /** This message, typed: what {@code retain} and {@code touch} return. */
    @SuppressWarnings("unchecked")
    private M self() {
        return (M) this;
    }

    /** Length of the content, in bytes (0 for a ZERO encoding). */
    default int contentLengthInBytes() {
        return content().readableBytes();
    }

    @Override
    default int refCnt() {
        return content().refCnt();
    }

    @Override
    default M retain() {
        content().retain();
        return self();
    }

    @Override
    default M retain(int increment) {
        content().retain(increment);
        return self();
    }

    @Override
    default M touch() {
        content().touch();
        return self();
    }

    @Override
    default M touch(Object hint) {
        content().touch(hint);
        return self();
    }

    @Override
    default boolean release() {
        return content().release();
    }

    @Override
    default boolean release(int decrement) {
        return content().release(decrement);
    }
}
