package io.postcopy.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.postcopy.engine.port.PageOrigin;
import io.postcopy.engine.port.PageSink;
import io.postcopy.protocol.Feature;
import io.postcopy.protocol.PageData;
import io.postcopy.protocol.PageDataOrigin;
import io.postcopy.protocol.PageRun;

import java.lang.foreign.MemorySegment;

/**
 * The source's adapter from the engine's {@link PageSink} to a channel: each page becomes a PAGE_DATA frame, and
 * each run of pages one PAGE_RUN frame if the session granted {@link Feature#PAGE_RUNS} (else a PAGE_DATA per page).
 * Raw content is not copied: the frame wraps the frozen guest memory, which outlives the channel. Writes without
 * flushing; the caller flushes once per batch. Used by the channel's event loop only.
 */
final class ChannelPageSink implements PageSink {
    private final Channel channel;
    private final boolean runs;

    /** A sink that sends one PAGE_DATA per page. */
    ChannelPageSink(Channel channel) {
        this(channel, false);
    }

    /**
     * @param runs whether runs may travel as PAGE_RUN frames ({@link Feature#PAGE_RUNS} granted); RAW runs must
     *             then fit one frame ({@link PageRun#maxRawPageCount})
     */
    ChannelPageSink(Channel channel, boolean runs) {
        this.channel = channel;
        this.runs = runs;
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

    @Override
    public void onPageRun(long firstPageIndex, MemorySegment contiguous, int pageCount, PageOrigin origin) {
        if (!runs || pageCount == 1 || origin == PageOrigin.DEMAND) {
            PageSink.super.onPageRun(firstPageIndex, contiguous, pageCount, origin);
            return;
        }
        PageRun run = PageRun.raw(firstPageIndex, pageCount, wireOrigin(origin),
            Unpooled.wrappedBuffer(contiguous.asByteBuffer()));
        channel.write(run, channel.voidPromise());
    }

    @Override
    public void onZeroPageRun(long firstPageIndex, int pageCount, PageOrigin origin) {
        if (!runs || pageCount == 1 || origin == PageOrigin.DEMAND) {
            PageSink.super.onZeroPageRun(firstPageIndex, pageCount, origin);
            return;
        }
        channel.write(PageRun.zero(firstPageIndex, pageCount, wireOrigin(origin)), channel.voidPromise());
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
