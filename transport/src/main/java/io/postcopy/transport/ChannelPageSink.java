package io.postcopy.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.postcopy.engine.port.PageOrigin;
import io.postcopy.engine.port.PageSink;
import io.postcopy.protocol.PageData;
import io.postcopy.protocol.PageDataOrigin;

import java.lang.foreign.MemorySegment;

/**
 * The source's adapter from the engine's {@link PageSink} to a channel: each page becomes a PAGE_DATA frame. Raw
 * content is not copied: the frame wraps the frozen guest memory, which outlives the channel. Writes without
 * flushing; the caller flushes once per batch.
 */
final class ChannelPageSink implements PageSink {
    private final Channel channel;

    ChannelPageSink(Channel channel) {
        this.channel = channel;
    }

    @Override
    public void onPage(long pageIndex, MemorySegment content, PageOrigin origin) {
        PageData data = PageData.raw(pageIndex, wireOrigin(origin), Unpooled.wrappedBuffer(content.asByteBuffer()));
        channel.write(data, channel.voidPromise());
    }

    @Override
    public void onZeroPage(long pageIndex, PageOrigin origin) {
        channel.write(PageData.zero(pageIndex, wireOrigin(origin)), channel.voidPromise());
    }

    static PageDataOrigin wireOrigin(PageOrigin origin) {
        return switch (origin) {
            case DEMAND -> PageDataOrigin.DEMAND;
            case BACKGROUND -> PageDataOrigin.BACKGROUND;
            case PRECOPY -> PageDataOrigin.PRECOPY;
        };
    }

    static PageOrigin engineOrigin(PageDataOrigin origin) {
        return switch (origin) {
            case DEMAND -> PageOrigin.DEMAND;
            case BACKGROUND -> PageOrigin.BACKGROUND;
            case PRECOPY -> PageOrigin.PRECOPY;
        };
    }
}
