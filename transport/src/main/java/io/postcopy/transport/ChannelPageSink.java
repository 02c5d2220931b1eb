package io.postcopy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.postcopy.engine.port.PageOrigin;
import io.postcopy.engine.port.PageSink;
import io.postcopy.protocol.DecodeContext;
import io.postcopy.protocol.Feature;
import io.postcopy.protocol.PageData;
import io.postcopy.protocol.PageDataOrigin;
import io.postcopy.protocol.PageRun;

import java.lang.foreign.MemorySegment;

/**
 * The source's adapter from the engine's {@link PageSink} to a channel: each page becomes a PAGE_DATA frame, and
 * each run of pages one PAGE_RUN frame if the session granted {@link Feature#PAGE_RUNS} (else a PAGE_DATA per page).
 * A zero page travels as the ZERO encoding only if the session granted {@link Feature#ZERO_PAGE_ENCODING}; otherwise
 * as a RAW page of zeros, since a peer that did not ask for the encoding may not understand it.
 * Raw content is not copied: the frame wraps the frozen guest memory, which outlives the channel. Writes without
 * flushing; the caller flushes once per batch. Used by the channel's event loop only.
 */
final class ChannelPageSink implements PageSink {
    private final Channel channel;
    private final boolean runs;
    /** One page of zeros, never released, when the ZERO encoding was not granted; else null. */
    private final ByteBuf rawZeroPage;

    /**
     * A sink for a session with these terms.
     *
     * @param terms the session's granted features and page size; RAW runs (with {@link Feature#PAGE_RUNS}) must
     *              fit one frame ({@link PageRun#maxRawPageCount})
     */
    ChannelPageSink(Channel channel, DecodeContext terms) {
        this.channel = channel;
        this.runs = terms.isGranted(Feature.PAGE_RUNS);
        this.rawZeroPage = terms.isGranted(Feature.ZERO_PAGE_ENCODING) ? null
            : Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(new byte[terms.pageSizeInBytes()]));
    }

    @Override
    public void onPage(long pageIndex, MemorySegment content, PageOrigin origin) {
        PageData data = PageData.raw(pageIndex, wireOrigin(origin), Unpooled.wrappedBuffer(content.asByteBuffer()));
        channel.write(data, channel.voidPromise());
    }

    @Override
    public void onZeroPage(long pageIndex, PageOrigin origin) {
        PageData data = rawZeroPage == null ? PageData.zero(pageIndex, wireOrigin(origin))
            : PageData.raw(pageIndex, wireOrigin(origin), rawZeroPage.duplicate());
        channel.write(data, channel.voidPromise());
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
        if (!runs || rawZeroPage != null || pageCount == 1 || origin == PageOrigin.DEMAND) {
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
