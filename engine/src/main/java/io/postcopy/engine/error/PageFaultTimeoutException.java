package io.postcopy.engine.error;

/** A fault was not resolved before its deadline: the page never arrived. */
public final class PageFaultTimeoutException extends PostcopyException {
    private static final long serialVersionUID = 1L;

    /**
     * @param pageIndex the page that was waited for
     * @param timeoutNs how long the caller waited, in nanoseconds
     */
    public PageFaultTimeoutException(long pageIndex, long timeoutNs) {
        super(ErrorCode.TIMEOUT, "page " + pageIndex + " did not arrive within " + timeoutNs / 1_000_000
            + " ms; the page source is stalled or gone");
    }
}
