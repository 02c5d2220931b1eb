package io.postcopy.cli.report;

/**
 * What {@code postcopy source} prints when the VM has left.
 *
 * @param result               "COMPLETED"
 * @param transport            "epoll" or "nio"
 * @param listen               the address the source listened on
 * @param memoryBytes          guest RAM size
 * @param pageSize             page size in bytes
 * @param vcpus                number of vCPUs
 * @param workload             the workload's name
 * @param pages                what was sent, each page counted once
 * @param requestsForSentPages demand requests for pages already sent
 * @param totalTimeMs          from the source's stop to the last page sent
 */
public record SourceSummary(String result, String transport, String listen, long memoryBytes, int pageSize,
                            int vcpus, String workload, SentPages pages, long requestsForSentPages,
                            double totalTimeMs) {
    /**
     * Pages sent.
     *
     * @param demand     non-zero pages sent for demand requests
     * @param background non-zero pages sent by the background stream
     * @param zero       pages sent as a zero encoding
     */
    public record SentPages(long demand, long background, long zero) {
    }
}
