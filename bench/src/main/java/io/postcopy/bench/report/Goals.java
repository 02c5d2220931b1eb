package io.postcopy.bench.report;

import io.postcopy.bench.report.BenchSummary.BackendFigures;
import io.postcopy.bench.report.BenchSummary.GoalResult;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The performance goals of the issue "Benchmarks and the performance report", each checked against a summary:
 * PASS, MISS (with by how much and the likely reason, drawn from the run's own figures) or NOT MEASURED.
 */
public final class Goals {
    /** Status of a figure within its goal. */
    public static final String PASS = "PASS";
    /** Status of a figure outside its goal. */
    public static final String MISS = "MISS";
    /** Status of a figure the run could not measure. */
    public static final String NOT_MEASURED = "NOT MEASURED";

    private Goals() {
    }

    private enum Direction { AT_MOST, AT_LEAST }

    private record Goal(String metric, Direction direction, double limit, Function<BenchSummary, Double> value,
                        Function<BenchSummary, String> reason) {
        String text() {
            return (direction == Direction.AT_MOST ? "<= " : ">= ") + Report.number(limit)
                + (metric.equals("downtimeMs") ? " ms at every size" : "");
        }

        boolean met(double figure) {
            return direction == Direction.AT_MOST ? figure <= limit : figure >= limit;
        }
    }

    private static final List<Goal> GOALS = List.of(
        new Goal("faultP50VsTcpRtt", Direction.AT_MOST, 2, BenchSummary::faultP50VsTcpRtt, s -> faultReason(s, false)),
        new Goal("faultP99VsTcpRtt", Direction.AT_MOST, 4, BenchSummary::faultP99VsTcpRtt, s -> faultReason(s, true)),
        new Goal("loadedFaultP99VsIdleP99", Direction.AT_MOST, 2, BenchSummary::loadedFaultP99VsIdleP99,
            s -> "while the background stream saturates the link, its sending and receiving event loops keep both"
                + " cores busy and an urgent answer waits for a core behind them (the urgent connection has its own"
                + " socket but no CPU of its own); the background stream is not throttled around demand faults"),
        new Goal("uffdJavaVsC", Direction.AT_MOST, 1.2, BenchSummary::uffdJavaVsC,
            s -> "per fault the Java handler does more than the C one: FFM downcalls for poll/read/ioctl, the"
                + " engine's bitmap updates and waiter bookkeeping around the inline UFFDIO_COPY"),
        new Goal("presentReadVsRaw", Direction.AT_MOST, 1.3, BenchSummary::presentReadVsRaw,
            s -> "every accessor read first loads the page's word of the cached bitmap and branches on it; random"
                + " reads over 256 MiB miss the caches, so that bitmap load can be a second miss"),
        new Goal("backgroundVsTcpThroughput", Direction.AT_LEAST, 0.7, BenchSummary::backgroundVsTcpThroughput,
            s -> "per-page work on the receiving event loop (copy into guest memory, cached bit, page digest for the"
                + " integrity check) and per-page framing, with sender and receiver on the same 2 cores"),
        new Goal("downtimeMs", Direction.AT_MOST, 10, Goals::worstDowntime, Goals::downtimeReason),
        new Goal("networkFaultShareOfWorkingSet", Direction.AT_MOST, 0.2, BenchSummary::networkFaultShareOfWorkingSet,
            s -> "the hot set is random at page granularity, so prefetching the pages after a fault finds few of the"
                + " next touches, and the background stream reaches most hot pages only after the guest touched them"),
        new Goal("duplicatePages", Direction.AT_MOST, 0, s -> s.duplicatePages() == null ? null
            : s.duplicatePages().doubleValue(),
            s -> "a page was sent twice: a demand answer raced the background stream for the same page"));

    /** Checks every goal against {@code summary} (whose own goals are ignored). */
    public static List<GoalResult> evaluate(BenchSummary summary) {
        List<GoalResult> results = new ArrayList<>();
        for (Goal goal : GOALS) {
            Double value = goal.value().apply(summary);
            if (value == null || value.isNaN()) {
                results.add(new GoalResult(goal.metric(), goal.text(), null, NOT_MEASURED,
                    notMeasuredReason(summary, goal.metric())));
            } else if (goal.met(value)) {
                results.add(new GoalResult(goal.metric(), goal.text(), value, PASS, null));
            } else {
                results.add(new GoalResult(goal.metric(), goal.text(), value, MISS,
                    missBy(goal, value) + "; likely reason: " + goal.reason().apply(summary)));
            }
        }
        return results;
    }

    private static String missBy(Goal goal, double value) {
        double gap = Math.abs(value - goal.limit());
        String by = "misses by " + Report.number(gap);
        if (goal.limit() != 0) {
            double factor = goal.direction() == Direction.AT_MOST ? value / goal.limit() : goal.limit() / value;
            by += String.format(Locale.ROOT, " (%.2fx the goal)", factor);
        }
        return by;
    }

    private static Double worstDowntime(BenchSummary summary) {
        Map<String, Double> downtime = summary.downtimeMs();
        if (downtime == null) {
            return null;
        }
        return downtime.values().stream().filter(Objects::nonNull).max(Double::compare).orElse(null);
    }

    private static String faultReason(BenchSummary summary, boolean tail) {
        StringBuilder reason = new StringBuilder("a demand fault crosses more threads than a round trip (vCPU,");
        if ("uffd".equals(summary.defaultBackend())) {
            reason.append(" uffd handler,");
        }
        reason.append(" source event loop, destination event loop, then the vCPU's wake-up), and each wake-up of a"
            + " thread costs tens of us on this VM");
        BenchSummary.Figures figures = summary.figures();
        BenchSummary.TcpRoundTrip rtt = figures == null ? null : figures.tcpRoundTrip();
        if (rtt != null && rtt.threadHandoff() != null) {
            reason.append(String.format(Locale.ROOT, " (two wake-ups without network: %s us p50 in this run)",
                Report.number(rtt.threadHandoff().p50())));
        }
        BackendFigures primary = summary.backends() == null || summary.backends().isEmpty() ? null
            : summary.backends().getFirst();
        if (tail && primary != null && primary.idleFaultLatencyUs() != null
            && primary.idleFaultLatencyUs().uncorrectedP99() != null) {
            reason.append(String.format(Locale.ROOT, "; the tail is a few slow faults (threads waiting for a core,"
                    + " the device driver's and the background trickle's work landing on the same cores) that the"
                    + " coordinated-omission correction rightly multiplies: uncorrected, the p99 is %s us",
                Report.number(primary.idleFaultLatencyUs().uncorrectedP99())));
        }
        if (summary.machine() != null && !summary.machine().loadAverageStart().isEmpty()) {
            reason.append(String.format(Locale.ROOT, "; the 1-minute load average was %s at the start",
                Report.number(summary.machine().loadAverageStart().getFirst())));
        }
        return reason.toString();
    }

    private static String downtimeReason(BenchSummary summary) {
        StringBuilder reason = new StringBuilder("between the source's stop and the destination's first vCPU step"
            + " lie the switchover's fixed steps: the devices' remaining stop-and-copy state streamed and checked"
            + " (SHA-256) on the destination, the discard ranges, the vCPU states, and the vCPU threads' wake-up,"
            + " each waiting for one of the 2 cores");
        StringBuilder bySize = new StringBuilder();
        boolean grows = true;
        int backendsWithFigures = 0;
        for (BackendFigures backend : summary.backends() == null ? List.<BackendFigures>of() : summary.backends()) {
            if (backend.downtimeMs() == null) {
                continue;
            }
            List<Double> measured = backend.downtimeMs().values().stream().filter(Objects::nonNull).toList();
            if (measured.isEmpty()) {
                continue;
            }
            backendsWithFigures++;
            bySize.append("; ").append(backend.backend()).append(':');
            backend.downtimeMs().forEach((size, ms) -> {
                if (ms != null) {
                    bySize.append(' ').append(size).append(' ').append(Report.number(ms)).append(" ms");
                }
            });
            for (int i = 1; i < measured.size(); i++) {
                grows &= measured.get(i) > 1.5 * measured.get(i - 1);
            }
            grows &= measured.size() > 1;
        }
        if (backendsWithFigures > 0) {
            reason.append(grows ? "; it grows with the guest, so part of it is proportional to memory"
                : "; it does not grow steadily with the guest, so it is the fixed switchover work and CPU contention,"
                    + " not memory size");
        }
        return reason.append(bySize).toString();
    }

    private static String notMeasuredReason(BenchSummary summary, String metric) {
        BenchSummary.Figures figures = summary.figures();
        if (metric.equals("uffdJavaVsC") && figures != null && figures.uffdHandler() != null
            && figures.uffdHandler().note() != null) {
            return figures.uffdHandler().note();
        }
        return "not measured in this run (its section was skipped or could not run; see the log)";
    }
}
