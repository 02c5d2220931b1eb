package io.postcopy.engine.error;

/** A page index outside {@code [0, pageCount)}: from a caller's bug or from a peer's bad frame. */
public final class PageOutOfRangeException extends PostcopyException {
    private static final long serialVersionUID = 1L;

    /**
     * @param pageIndex the offending index
     * @param pageCount the number of pages of the memory it was meant for
     */
    public PageOutOfRangeException(long pageIndex, long pageCount) {
        super(ErrorCode.PAGE_OUT_OF_RANGE,
            "pageIndex=" + pageIndex + " (expected: 0 <= pageIndex < pageCount=" + pageCount + ")");
    }
}
