package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCounted;

/**
 * PAGE_RUN (0x15, needs {@link Feature#PAGE_RUNS}): the content of {@code pageCount} contiguous pages in one frame,
 * page {@code firstPageIndex} first, back to back (RAW), or the statement that they are all zero (ZERO). It carries
 * exactly what {@code pageCount} PAGE_DATA frames with the same encoding and origin would, with one header instead
 * of one per page, so that a receiver can install the whole run at once (one {@code UFFDIO_COPY}).
 *
 * <p>Only the migration stream uses runs: the origin is BACKGROUND or PRECOPY, never DEMAND (an answer to a
 * PAGE_REQUEST is always a PAGE_DATA).
 *
 * <p>Ownership: like {@link PageData}, a PageRun owns one reference to {@code content} (a slice of the received
 * frame, or of the source's memory, never a copy), delegates {@link ReferenceCounted} to it, and is released by
 * whoever consumes it last, in a {@code finally}. A ZERO run holds the shared empty buffer.
 *
 * <p>Equality compares the content bytes, and so must not be used after release.
 *
 * @param firstPageIndex the first page, >= 0 (the decoder checks the whole run against the session's page count)
 * @param pageCount      number of pages, >= 1; RAW: at most {@link #maxRawPageCount} for the page size
 * @param encoding       RAW or ZERO
 * @param origin         BACKGROUND or PRECOPY
 * @param content        RAW: exactly {@code pageCount} pages of readable bytes (a valid page size each; the decoder
 *                       checks it equals the session's); ZERO: no readable bytes
 */
public record PageRun(long firstPageIndex, int pageCount, PageEncoding encoding, PageDataOrigin origin,
                      ByteBuf content) implements ContentMessage<PageRun> {

    /** Fixed part of the body before the content: first page (u64), count (u32), encoding (u8), origin (u8). */
    public static final int FIXED_BODY_LENGTH_IN_BYTES = 14;

    /**
     * Validates the ranges; see the record's parameters. Takes ownership of {@code content} only on success: if it
     * throws, the caller still owns (and must release) {@code content}.
     */
    public PageRun {
        Checks.nonNegative(firstPageIndex, "firstPageIndex");
        Checks.notNull(encoding, "encoding");
        Checks.notNull(origin, "origin");
        Checks.notNull(content, "content");
        if (pageCount < 1 || firstPageIndex > Long.MAX_VALUE - pageCount) {
            throw ProtocolException.invalidArgument("pageCount=" + pageCount + " from page " + firstPageIndex
                + " (expected: >= 1, ending below 2^63)");
        }
        if (origin == PageDataOrigin.DEMAND) {
            throw ProtocolException.invalidArgument("origin=DEMAND (expected: BACKGROUND or PRECOPY; demand "
                + "answers are PAGE_DATA)");
        }
        int length = content.readableBytes();
        if (encoding == PageEncoding.RAW && (length % pageCount != 0 || !Protocol.isValidPageSize(length / pageCount)
            || pageCount > maxRawPageCount(length / pageCount))) {
            throw ProtocolException.invalidArgument("RAW content of " + length + " bytes for " + pageCount
                + " pages (expected: pageCount pages of a power of two in 4096..2097152 bytes, at most "
                + "maxRawPageCount(pageSize) of them)");
        }
        if (encoding == PageEncoding.ZERO && length != 0) {
            throw ProtocolException.invalidArgument("ZERO content of " + length + " bytes (expected: 0)");
        }
    }

    /**
     * The longest RAW run that fits one frame: {@code (MAX_BODY_LENGTH - 14) / pageSize}, 1024 pages of 4 KiB, 2
     * pages of 2 MiB.
     */
    public static int maxRawPageCount(int pageSizeInBytes) {
        return (Protocol.MAX_BODY_LENGTH_IN_BYTES - FIXED_BODY_LENGTH_IN_BYTES) / pageSizeInBytes;
    }

    /**
     * A RAW run.
     *
     * @param content {@code pageCount} pages of bytes; ownership passes to the returned message
     */
    public static PageRun raw(long firstPageIndex, int pageCount, PageDataOrigin origin, ByteBuf content) {
        return new PageRun(firstPageIndex, pageCount, PageEncoding.RAW, origin, content);
    }

    /** A ZERO run; holds no buffer. */
    public static PageRun zero(long firstPageIndex, int pageCount, PageDataOrigin origin) {
        return new PageRun(firstPageIndex, pageCount, PageEncoding.ZERO, origin, Unpooled.EMPTY_BUFFER);
    }

    @Override
    public MessageType type() {
        return MessageType.PAGE_RUN;
    }

    @Override
    public String toString() {
        return "PageRun[firstPageIndex=" + firstPageIndex + ", pageCount=" + pageCount + ", encoding=" + encoding
            + ", origin=" + origin + ", contentLengthInBytes=" + (content.refCnt() > 0 ? content.readableBytes() : -1)
            + "]";
    }
}
