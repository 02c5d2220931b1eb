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
}
