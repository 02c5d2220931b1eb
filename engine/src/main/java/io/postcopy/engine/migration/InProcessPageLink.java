package io.postcopy.engine.migration;

import io.postcopy.engine.port.PageSink;
import io.postcopy.engine.port.PageSource;

/**
 * Both ports in one process: the destination's requests go straight to the source's page server, which delivers
 * into the destination's sink on the requesting thread (the shortest possible urgent path: no handoff at all).
 */
public final class InProcessPageLink implements PageSource {
    private final SourcePageServer server;
    private final PageSink sink;

    /** Links {@code server} (the source) to {@code sink} (the destination). */
    public InProcessPageLink(SourcePageServer server, PageSink sink) {
        this.server = server;
        this.sink = sink;
    }

    @Override
    public void requestDemand(long pageIndex) {
        server.serveDemand(pageIndex, sink);
    }

    @Override
    public void requestPrefetch(long[] pageIndexes, int count) {
        for (int i = 0; i < count; i++) {
            server.serveDemand(pageIndexes[i], sink);
        }
    }

    /**
     * Pushes up to {@code maxPages} unsent pages to the sink (the background stream's unit of work).
     *
     * @return pages pushed; 0 once all are sent
     */
    public int pushBackground(int maxPages) {
        return server.pushBackground(sink, maxPages);
    }
}
