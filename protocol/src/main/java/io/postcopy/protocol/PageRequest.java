package io.postcopy.protocol;

import java.util.Arrays;

/**
 * PAGE_REQUEST (0x10): the destination asks for a batch of pages. The source answers each page it has not sent
 * yet with one PAGE_DATA; a page already on its way is not sent again.
 *
 * @param kind        demand (a vCPU waits) or prefetch
 * @param pageIndexes 1..{@link #MAX_PAGE_INDEXES} page indexes, each >= 0 (the decoder also checks them against the
 *                    session's page count); copied on construction and on access
 */
public record PageRequest(RequestKind kind, long[] pageIndexes) implements Message {
    /** Fixed part of the body: kind (u8) and count (u32). */
    public static final int FIXED_BODY_LENGTH_IN_BYTES = 5;
    /** Largest batch that fits one frame. */
    public static final int MAX_PAGE_INDEXES = (Protocol.MAX_BODY_LENGTH_IN_BYTES - FIXED_BODY_LENGTH_IN_BYTES) / 8;

    /** Validates the ranges and copies the array; see the record's parameters. */
    public PageRequest {
        Checks.notNull(kind, "kind");
        Checks.notNull(pageIndexes, "pageIndexes");
        Checks.count(pageIndexes.length, MAX_PAGE_INDEXES, "pageIndexes.length");
        pageIndexes = pageIndexes.clone();
        for (long pageIndex : pageIndexes) {
            Checks.nonNegative(pageIndex, "pageIndex");
        }
    }

    /** A request for one page, the common case of a demand fault. */
    public static PageRequest of(RequestKind kind, long pageIndex) {
        return new PageRequest(kind, new long[] {pageIndex});
    }

    /** A copy of the page indexes. */
    @Override
    public long[] pageIndexes() {
        return pageIndexes.clone();
    }

    /** Number of page indexes in the batch. */
    public int size() {
        return pageIndexes.length;
    }

    /** The {@code position}-th page index, 0-based. */
    public long pageIndexAt(int position) {
        return pageIndexes[position];
    }

    @Override
    public MessageType type() {
        return MessageType.PAGE_REQUEST;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PageRequest that && kind == that.kind
            && Arrays.equals(pageIndexes, that.pageIndexes);
    }

    @Override
    public int hashCode() {
        return 31 * kind.hashCode() + Arrays.hashCode(pageIndexes);
    }

    @Override
    public String toString() {
        return "PageRequest[kind=" + kind + ", pageIndexes=" + Arrays.toString(pageIndexes) + "]";
    }
}
