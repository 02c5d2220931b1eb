package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCounted;

/**
 * PAGE_DATA (0x11): one page's content, the only message that holds a buffer.
 *
 * <p>Ownership: a PageData owns one reference to {@code content} (for RAW a slice of the received frame or of the
 * source's page buffer, never a copy). It is {@link ReferenceCounted} and delegates to {@code content}, so
 * Netty's pipeline releases it like a {@code ByteBuf}. Whoever consumes it last calls {@link #release()} in a
 * {@code finally}. A ZERO page holds the shared empty buffer, whose release is a no-op.
 *
 * <p>Equality compares the content bytes, and so must not be used after release.
 *
 * @param pageIndex page index, >= 0 (the decoder checks it against the session's page count)
 * @param encoding  RAW or ZERO
 * @param origin    why the page was sent
 * @param content   RAW: exactly one page of readable bytes (a valid page size; the decoder checks it equals the
 *                  session's); ZERO: no readable bytes
 */
public record PageData(long pageIndex, PageEncoding encoding, PageDataOrigin origin, ByteBuf content)
    implements ContentMessage<PageData> {

    /** Fixed part of the body before the content: page index (u64), encoding (u8), origin (u8). */
    public static final int FIXED_BODY_LENGTH_IN_BYTES = 10;

    /**
     * Validates the ranges; see the record's parameters. Takes ownership of {@code content} only on success: if it
     * throws, the caller still owns (and must release) {@code content}.
     */
    public PageData {
        Checks.nonNegative(pageIndex, "pageIndex");
        Checks.notNull(encoding, "encoding");
        Checks.notNull(origin, "origin");
        Checks.notNull(content, "content");
        int length = content.readableBytes();
        if (encoding == PageEncoding.RAW && !Protocol.isValidPageSize(length)) {
            throw ProtocolException.invalidArgument("RAW content of " + length
                + " bytes (expected: one page, a power of two in 4096..2097152)");
        }
        if (encoding == PageEncoding.ZERO && length != 0) {
            throw ProtocolException.invalidArgument("ZERO content of " + length + " bytes (expected: 0)");
        }
    }

    /**
     * A RAW page.
     *
     * @param content one page of bytes; ownership passes to the returned message
     */
    public static PageData raw(long pageIndex, PageDataOrigin origin, ByteBuf content) {
        return new PageData(pageIndex, PageEncoding.RAW, origin, content);
    }

    /** A ZERO page; holds no buffer. */
    public static PageData zero(long pageIndex, PageDataOrigin origin) {
        return new PageData(pageIndex, PageEncoding.ZERO, origin, Unpooled.EMPTY_BUFFER);
    }

    @Override
    public MessageType type() {
        return MessageType.PAGE_DATA;
    }

    @Override
    public String toString() {
        return "PageData[pageIndex=" + pageIndex + ", encoding=" + encoding + ", origin=" + origin
            + ", contentLengthInBytes=" + (content.refCnt() > 0 ? content.readableBytes() : -1) + "]";
    }
}
