package io.postcopy.engine.port;

import java.lang.foreign.MemorySegment;

/**
 * Port: where pages arrive on the destination. The source pushes into it (through the transport, or directly
 * in-process); the destination's backend implements it by installing the page and waking every waiter.
 *
 * <p>Called by the receiving thread, which installs the page itself (no extra handoff, shared/DESIGN.md).
 * Implementations are thread-safe: pages may arrive on several channels at once.
 */
public interface PageSink {
    /**
     * A page's content arrived.
     *
     * @param pageIndex a valid page index
     * @param content   exactly one page of bytes, readable only for the duration of the call
     * @param origin    why it was sent
     */
    void onPage(long pageIndex, MemorySegment content, PageOrigin origin);

    /**
     * A page that is all zeros arrived as a zero encoding (no content on the wire).
     *
     * @param pageIndex a valid page index
     * @param origin    why it was sent
     */
    void onZeroPage(long pageIndex, PageOrigin origin);

    /**
     * The content of {@code pageCount} contiguous pages arrived in one buffer, page {@code firstPageIndex} first.
     * Equivalent to {@link #onPage} for each page in order (what this default does); a sink that can take the
     * run at once (one frame, one install) overrides it.
     *
     * @param firstPageIndex the first page; the whole run is valid
     * @param contiguous     exactly {@code pageCount} pages of bytes, readable only for the duration of the call
     * @param pageCount      at least 1
     * @param origin         why the pages were sent
     */
    default void onPageRun(long firstPageIndex, MemorySegment contiguous, int pageCount, PageOrigin origin) {
        long pageSize = contiguous.byteSize() / pageCount;
        for (int i = 0; i < pageCount; i++) {
            onPage(firstPageIndex + i, contiguous.asSlice(i * pageSize, pageSize), origin);
        }
    }

    /**
     * {@code pageCount} contiguous all-zero pages arrived as a zero encoding. Equivalent to {@link #onZeroPage} for
     * each page in order (what this default does).
     *
     * @param firstPageIndex the first page; the whole run is valid
     * @param pageCount      at least 1
     * @param origin         why the pages were sent
     */
    default void onZeroPageRun(long firstPageIndex, int pageCount, PageOrigin origin) {
        for (int i = 0; i < pageCount; i++) {
            onZeroPage(firstPageIndex + i, origin);
        }
    }
}
