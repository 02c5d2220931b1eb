package io.postcopy.bench.report;

import java.util.List;
import java.util.Map;

/**
 * The JSON summary of one {@code postcopy bench} run ({@code summary.json}); the Markdown report and the charts
 * are drawn from it alone. Field names and order are the file's format: tools parse it, keep them stable. A figure
 * that was not measured is {@code null}, never invented; ratios are this project's figure over its baseline.
 *
 * @param schema                        {@value #SCHEMA}
 * @param date                          when the run started, ISO-8601 UTC
 * @param quick                         true for {@code --quick}
 * @param command                       the command line that produced it
 * @param machine                       cores, JDK, OS and load averages at start and end
 * @param defaultBackend                the backend {@code --backend auto} picks here; the top-level fault
 *                                      ratios are its figures
 * @param faultP50VsTcpRtt              idle demand fault p50 / the best raw 4 KiB TCP round trip p50
 * @param faultP99VsTcpRtt              idle demand fault p99 / the best raw 4 KiB TCP round trip p99
 * @param loadedFaultP99VsIdleP99       fault p99 while the background stream saturates the link / idle p99
 * @param uffdJavaVsC                   local userfaultfd fault resolved by the Java handler / by the C handler
 * @param presentReadVsRaw              random 8-byte read of a present page via the accessor / raw segment read
 * @param backgroundVsTcpThroughput     background stream bytes per second / raw loopback TCP bulk
 * @param downtimeMs                    downtime of the default backend by guest size ("256m", "1g", "4g")
 * @param networkFaultShareOfWorkingSet hot-set workload: network faults / distinct pages the guest touched
 * @param duplicatePages                pages that arrived twice, summed over every migration of the run
 * @param backends                      fault figures and ratios per backend, the default one first
 * @param figures                       the raw figures behind every ratio
 * @param goals                         each goal, its figure and PASS / MISS / NOT MEASURED
 */
public record BenchSummary(
    String schema,
    String date,
    boolean quick,
    String command,
    Machine machine,
    String defaultBackend,
    Double faultP50VsTcpRtt,
    Double faultP99VsTcpRtt,
    Double loadedFaultP99VsIdleP99,
    Double uffdJavaVsC,
    Double presentReadVsRaw,
    Double backgroundVsTcpThroughput,
    Map<String, Double> downtimeMs,
    Double networkFaultShareOfWorkingSet,
    Long duplicatePages,
    List<BackendFigures> backends,
    Figures figures,
    List<GoalResult> goals) {

    /** The format's name and version. */
    public static final String SCHEMA = "postcopy-bench/1";
    /** The guest sizes of the downtime runs, as named in {@link #downtimeMs}. */
    public static final List<String> SIZES = List.of("256m", "1g", "4g");

    /** This summary with {@code newGoals} as its goals. */
    public BenchSummary withGoals(List<GoalResult> newGoals) {
        return new BenchSummary(schema, date, quick, command, machine, defaultBackend, faultP50VsTcpRtt,
            faultP99VsTcpRtt, loadedFaultP99VsIdleP99, uffdJavaVsC, presentReadVsRaw, backgroundVsTcpThroughput,
            downtimeMs, networkFaultShareOfWorkingSet, duplicatePages, backends, figures, newGoals);
    }

    /**
     * @param cores            available processors
     * @param loadAverageStart 1, 5 and 15 minute load averages when the run started
     * @param loadAverageEnd   the same when it ended
     * @param jdk              vendor and version of the JVM
     * @param os               name, version and architecture
     * @param transport        Netty transport ("epoll" or "nio")
     * @param uffdAvailable    whether userfaultfd works here
     */
    public record Machine(int cores, List<Double> loadAverageStart, List<Double> loadAverageEnd, String jdk,
                          String os, String transport, boolean uffdAvailable) {
    }

    /**
     * Latency percentiles in microseconds.
     *
     * @param count            samples (for a corrected histogram, including the ones the correction added)
     * @param p50              median
     * @param p99              99th percentile
     * @param p999             99.9th percentile
     * @param max              largest
     * @param uncorrectedP99   p99 without the coordinated-omission correction, null where none was applied
     */
    public record Latency(long count, double p50, double p99, double p999, double max, Double uncorrectedP99) {
    }

    /**
     * One backend's demand-fault figures.
     *
     * @param backend                 "software" or "uffd"
     * @param isDefault               true for the backend {@code auto} picks
     * @param faultP50VsTcpRtt        idle p50 / TCP round trip p50
     * @param faultP99VsTcpRtt        idle p99 / TCP round trip p99
     * @param loadedFaultP99VsIdleP99 loaded p99 / idle p99
     * @param idleFaultLatencyUs      faults while the background stream trickles
     * @param loadedFaultLatencyUs    faults while the background stream saturates the link
     * @param downtimeMs              downtime by guest size
     * @param totalTimeMs             source stop to last page installed, by guest size
     * @param backgroundBytesPerSecond background stream throughput in the largest run
     */
    public record BackendFigures(String backend, boolean isDefault, Double faultP50VsTcpRtt, Double faultP99VsTcpRtt,
                                 Double loadedFaultP99VsIdleP99, Latency idleFaultLatencyUs,
                                 Latency loadedFaultLatencyUs, Map<String, Double> downtimeMs,
                                 Map<String, Double> totalTimeMs, Double backgroundBytesPerSecond) {
    }

    /**
     * The raw figures.
     *
     * @param guest        how the harness's guest touched memory
     * @param tcpRoundTrip raw 4 KiB request/response round trips over loopback
     * @param uffdHandler  local userfaultfd fault cost, Java vs C handler
     * @param presentRead  JMH scores of present-page reads
     * @param throughput   background stream vs raw TCP bulk
     * @param migrations   every migration the run made
     * @param modes        postcopy vs hybrid vs precopy on a write-heavy workload
     * @param prefetch     prefetch around faults, on vs off, on the hot-set workload
     */
    public record Figures(Guest guest, TcpRoundTrip tcpRoundTrip, UffdHandler uffdHandler, PresentRead presentRead,
                          Throughput throughput, List<Migration> migrations, ModeComparison modes,
                          PrefetchComparison prefetch) {
    }

    /**
     * @param vcpus                      destination vCPUs
     * @param touchesPerSecondPerVcpu    page touches per second per vCPU (the fault harness's offered rate)
     * @param idleBandwidthBytesPerSecond the background cap of the idle runs (a trickle)
     * @param workload                   workload of the fault-latency runs
     */
    public record Guest(int vcpus, long touchesPerSecondPerVcpu, long idleBandwidthBytesPerSecond,
                        String workload) {
    }

    /**
     * @param plain      plain blocking sockets, back to back
     * @param netty      Netty, the engine's transport, caller thread woken per answer, back to back
     * @param pacedPlain plain sockets at the guest's touch rate (context, not a baseline)
     * @param baseline   which of plain and netty the ratios use: the one with the lower p50
     * @param threadHandoff two thread wake-ups (park/unpark) and no network, back to back (context: each
     *                   round trip and each fault contains such wake-ups)
     */
    public record TcpRoundTrip(Latency plain, Latency netty, Latency pacedPlain, String baseline,
                               Latency threadHandoff) {
    }

    /**
     * @param javaNsPerFault median ns per fault, engine's Java handler thread with inline UFFDIO_COPY
     * @param cNsPerFault    median ns per fault, the C handler
     * @param pages          pages per round
     * @param rounds         rounds per side
     * @param note           why something was not measured, or null
     */
    public record UffdHandler(Double javaNsPerFault, Double cNsPerFault, int pages, int rounds, String note) {
    }

    /**
     * JMH average time per read, ns.
     *
     * @param randomAccessorNs     random 8-byte read through the software accessor
     * @param randomRawNs          random raw MemorySegment read
     * @param sequentialAccessorNs sequential read through the accessor
     * @param sequentialRawNs      sequential raw read
     * @param sequentialVsRaw      sequential accessor / raw
     * @param memoryBytes          bytes the reads range over
     * @param softwareFaultNs      in-process software fault (full runs only), or null
     */
    public record PresentRead(double randomAccessorNs, double randomRawNs, double sequentialAccessorNs,
                              double sequentialRawNs, double sequentialVsRaw, long memoryBytes,
                              Double softwareFaultNs) {
    }

    /**
     * @param backgroundBytesPerSecond non-zero background pages' bytes over the migration's total time
     * @param tcpBulkBytesPerSecond    one plain socket over loopback
     * @param fromRun                  which migration the background figure comes from
     */
    public record Throughput(Double backgroundBytesPerSecond, Double tcpBulkBytesPerSecond, String fromRun) {
    }

    /**
     * One migration.
     *
     * @param scenario     "idle", "loaded", "hotset", ...
     * @param backend      destination backend
     * @param size         guest size ("64m", "1g", ...)
     * @param workload     guest workload
     * @param bandwidthBytesPerSecond background cap, 0 for none
     * @param result       PASS if every page verified, none arrived twice and the workload check passed
     * @param downtimeMs   source stop to the destination's first vCPU step
     * @param totalTimeMs  source stop to the last page installed
     * @param demandPages  pages fetched for faults
     * @param backgroundPages pages pushed by the background stream
     * @param zeroPages    pages sent as zero pages
     * @param precopyPages non-zero pages installed from precopy rounds (hybrid, precopy)
     * @param duplicatePages pages that arrived twice
     * @param faults       faults that caused a fetch
     * @param workingSetPages distinct pages the guest touched during the migration
     * @param faultLatencyUs the paced guest's fault latencies
     */
    public record Migration(String scenario, String backend, String size, String workload,
                            long bandwidthBytesPerSecond, String result, double downtimeMs, double totalTimeMs,
                            long demandPages, long backgroundPages, long zeroPages, long precopyPages,
                            long duplicatePages, long faults,
                            long workingSetPages, Latency faultLatencyUs) {
    }

    /**
     * postcopy vs hybrid vs precopy on a write-heavy workload.
     *
     * @param measured whether the comparison ran
     * @param reason   why not, if it did not
     * @param workload the write-heavy workload
     * @param size     guest size
     * @param settings the modes' settings (hybrid rounds, precopy round limit and downtime budget)
     * @param postcopy figures of the postcopy mode, or null
     * @param hybrid   figures of the hybrid mode, or null
     * @param precopy  figures of the precopy mode, or null
     */
    public record ModeComparison(boolean measured, String reason, String workload, String size, String settings,
                                 ModeFigures postcopy, ModeFigures hybrid, ModeFigures precopy) {
    }

    /**
     * @param result         PASS, FAIL or ERROR
     * @param downtimeMs     source stop to first destination vCPU step
     * @param totalTimeMs    destination's first connection to last page installed (precopy rounds included)
     * @param pagesSent      pages on the wire, re-sends and duplicates included
     * @param faults         demand faults on the destination
     * @param faultP99Us     the paced guest's fault p99, null without faults
     * @param precopyRounds  precopy rounds before the switchover
     * @param converged      precopy: the rest fitted the downtime budget
     * @param pagesDiscarded pages precopy sent and the VM dirtied again, discarded at switchover
     */
    public record ModeFigures(String result, double downtimeMs, Double totalTimeMs, long pagesSent, long faults,
                              Double faultP99Us, int precopyRounds, boolean converged, long pagesDiscarded) {
    }

    /**
     * Prefetch around faults on the hot-set workload.
     *
     * @param measured true if on and off were both measured
     * @param reason   why not, if not
     * @param current  this build's behaviour (whatever prefetch it has), measured
     * @param on       with prefetch, or null
     * @param off      without prefetch, or null
     */
    public record PrefetchComparison(boolean measured, String reason, HotSetFigures current, HotSetFigures on,
                                     HotSetFigures off) {
    }

    /**
     * @param size            guest size
     * @param networkFaults   faults that fetched a page over the network
     * @param workingSetPages distinct pages the guest touched during the migration
     * @param share           networkFaults / workingSetPages
     * @param duplicatePages  pages that arrived twice
     */
    public record HotSetFigures(String size, long networkFaults, long workingSetPages, double share,
                                long duplicatePages) {
    }

    /**
     * @param metric the summary field
     * @param goal   e.g. "<= 2"
     * @param value  the figure, null if not measured
     * @param status PASS, MISS or NOT MEASURED
     * @param note   for a MISS: by how much and the likely reason; for NOT MEASURED: why
     */
    public record GoalResult(String metric, String goal, Double value, String status, String note) {
    }
}
