package io.postcopy.transport;

/**
 * What the source sent in one migration; each page is counted once.
 *
 * @param demandPages          non-zero pages sent for demand requests
 * @param backgroundPages      non-zero pages sent by the background stream
 * @param zeroPages            pages sent as a zero encoding
 * @param requestsForSentPages demand requests for pages already sent (answered by the page in flight)
 * @param totalTimeMs          from the source's stop to the last page sent
 * @param recoveries           network losses after switchover the session recovered from (0 normally); pages
 *                             lost in flight were sent again and are counted again
 */
public record SourceResult(long demandPages, long backgroundPages, long zeroPages, long requestsForSentPages,
                           double totalTimeMs, int recoveries) {
}
