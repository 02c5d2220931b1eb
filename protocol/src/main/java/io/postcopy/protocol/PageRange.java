package io.postcopy.protocol;

/**
 * A run of consecutive pages, {@code [firstPageIndex, firstPageIndex + pageCount)}.
 *
 * @param firstPageIndex the first page, >= 0
 * @param pageCount      number of pages, >= 1, such that the end does not overflow
 */
public record PageRange(long firstPageIndex, long pageCount) {
    /** Validates the ranges; see the record's parameters. */
    public PageRange {
        Checks.nonNegative(firstPageIndex, "firstPageIndex");
        if (pageCount < 1 || firstPageIndex + pageCount < 0) {
            throw ProtocolException.invalidArgument("pageCount=" + pageCount + " from firstPageIndex="
                + firstPageIndex + " (expected: >= 1, end <= 2^63-1)");
        }
    }

    /** One past the last page. */
    public long endPageIndex() {
        return firstPageIndex + pageCount;
    }
}
