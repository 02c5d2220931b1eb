package io.postcopy.bench.report;

import io.postcopy.bench.report.BenchSummary.BackendFigures;
import io.postcopy.bench.report.BenchSummary.GoalResult;
import io.postcopy.bench.report.BenchSummary.HotSetFigures;
import io.postcopy.bench.report.BenchSummary.Latency;
import io.postcopy.bench.report.BenchSummary.Migration;
import io.postcopy.bench.report.BenchSummary.ModeFigures;

import java.util.List;
import java.util.Locale;

/**
 * Renders a {@link BenchSummary} as the Markdown report {@code REPORT.md}: the goals table first, then one section
 * per measurement, each figure next to its baseline, and the charts {@link Charts} wrote beside it. Pure function of
 * the summary (tests render a fixed one).
 */
public final class Report {
    private static final String DASH = "–";

    private Report() {
    }

    /** A number for the report: at most 3 significant decimals, no trailing zeros, "–" for null. */
    public static String number(Double value) {
        if (value == null || value.isNaN()) {
            return DASH;
        }
        double v = value;
        double abs = Math.abs(v);
        String text;
        if (abs >= 100 || v == Math.rint(v)) {
            text = String.format(Locale.ROOT, "%.0f", v);
        } else if (abs >= 10) {
            text = String.format(Locale.ROOT, "%.1f", v);
        } else if (abs >= 1) {
            text = String.format(Locale.ROOT, "%.2f", v);
        } else {
            text = String.format(Locale.ROOT, "%.3f", v);
        }
        return text;
    }

    /** Bytes per second in MiB/s. */
    static String mibPerSecond(Double bytesPerSecond) {
        return bytesPerSecond == null ? DASH : number(bytesPerSecond / (1 << 20)) + " MiB/s";
    }

    /**
     * The whole report.
     *
     * @param summary what to report
     * @param charts  file names of the charts written next to the report (only these are linked)
     */
    public static String render(BenchSummary summary, List<String> charts) {
        StringBuilder md = new StringBuilder();
        md.append("# postcopy performance report\n\n");
        header(md, summary);
        goals(md, summary, charts);
        faultLatency(md, summary, charts);
        loadedFaults(md, summary);
        uffdHandler(md, summary);
        presentRead(md, summary, charts);
        throughput(md, summary, charts);
        downtime(md, summary, charts);
        modes(md, summary);
        prefetch(md, summary);
        migrations(md, summary);
        reproduce(md, summary);
        return md.toString();
    }

    private static void header(StringBuilder md, BenchSummary s) {
        BenchSummary.Machine m = s.machine();
        md.append("Run `").append(s.command()).append("` on ").append(s.date())
            .append(s.quick() ? " (quick run: fewer and smaller runs, wider error bars)" : " (full run)")
            .append(".\n\n");
        md.append("| machine | |\n|---|---|\n");
        md.append("| cores | ").append(m.cores()).append(" |\n");
        md.append("| load average (1, 5, 15 min) at start | ").append(loads(m.loadAverageStart())).append(" |\n");
        md.append("| load average at end | ").append(loads(m.loadAverageEnd())).append(" |\n");
        md.append("| JDK | ").append(m.jdk()).append(" |\n");
        md.append("| OS | ").append(m.os()).append(" |\n");
        md.append("| Netty transport | ").append(m.transport()).append(" |\n");
        md.append("| userfaultfd | ").append(m.uffdAvailable() ? "available" : "not available").append(" |\n");
        md.append("| default backend (`--backend auto`) | ").append(s.defaultBackend()).append(" |\n\n");
        double busiest = Math.max(oneMinute(m.loadAverageStart()), oneMinute(m.loadAverageEnd()));
        if (busiest > m.cores()) {
            md.append(String.format(Locale.ROOT, "**Caution: the 1-minute load average reached %.2f on %d cores"
                + " around this run. Other processes competed for the CPU, so latencies (tails above all) and"
                + " throughputs differ from a quiet machine's; compare runs only at similar loads.**%n%n", busiest,
                m.cores()));
        }
        md.append("Every figure below was measured in this one run; a figure that could not be measured says so and"
            + " has no number. On 2 cores a load average near or above 2 means other processes competed for the CPU"
            + " and the latency tails are inflated accordingly.\n\n");
    }

    private static double oneMinute(List<Double> loads) {
        return loads == null || loads.isEmpty() ? 0 : loads.getFirst();
    }

    private static String loads(List<Double> loads) {
        if (loads == null || loads.isEmpty()) {
            return DASH;
        }
        StringBuilder text = new StringBuilder();
        for (Double load : loads) {
            text.append(text.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", load));
        }
        return text.toString();
    }

    private static void goals(StringBuilder md, BenchSummary s, List<String> charts) {
        md.append("## Goals\n\n| figure | value | goal | status |\n|---|---|---|---|\n");
        for (GoalResult goal : s.goals()) {
            md.append("| `").append(goal.metric()).append("` | ").append(number(goal.value())).append(" | ")
                .append(goal.goal()).append(" | ").append(status(goal.status())).append(" |\n");
        }
        md.append('\n');
        boolean any = false;
        for (GoalResult goal : s.goals()) {
            if (goal.note() != null) {
                if (!any) {
                    md.append("Where a goal is missed or not measured:\n\n");
                    any = true;
                }
                md.append("- `").append(goal.metric()).append("` ").append(goal.status()).append(": ")
                    .append(goal.note()).append(".\n");
            }
        }
        if (any) {
            md.append('\n');
        }
        chart(md, charts, "goals.png", "each figure against its goal");
    }

    private static String status(String status) {
        return switch (status) {
            case Goals.PASS -> "PASS";
            case Goals.MISS -> "**MISS**";
            default -> "_" + status.toLowerCase(Locale.ROOT) + "_";
        };
    }

    private static void latencyHeader(StringBuilder md) {
        md.append("| | samples | p50 µs | p99 µs | p99.9 µs | max µs | p50 / RTT | p99 / RTT |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
    }

    private static void latencyRow(StringBuilder md, String name, Latency latency, Latency baseline) {
        if (latency == null) {
            md.append("| ").append(name).append(" | not measured | | | | | | |\n");
            return;
        }
        md.append("| ").append(name).append(" | ").append(latency.count()).append(" | ")
            .append(number(latency.p50())).append(" | ").append(number(latency.p99())).append(" | ")
            .append(number(latency.p999())).append(" | ").append(number(latency.max())).append(" | ")
            .append(baseline == null ? DASH : number(latency.p50() / baseline.p50())).append(" | ")
            .append(baseline == null ? DASH : number(latency.p99() / baseline.p99())).append(" |\n");
    }

    private static void faultLatency(StringBuilder md, BenchSummary s, List<String> charts) {
        md.append("## 1. Demand fault latency over loopback vs a raw 4 KiB TCP round trip\n\n");
        BenchSummary.Guest guest = s.figures().guest();
        md.append("A source and a destination (`SourceNode`, `DestinationNode`, the real Netty transport) in one JVM"
            + " over loopback. The destination's guest (workload `").append(guest.workload()).append("`, ")
            .append(guest.vcpus()).append(" vCPU) touches a page every ")
            .append(number(1e6 / guest.touchesPerSecondPerVcpu())).append(" µs (")
            .append(guest.touchesPerSecondPerVcpu()).append(" touches/s per vCPU) and sleeps in between, so no"
                + " vCPU spins; a touch of a missing page is a fault, timed from the access to its return and recorded"
                + " in an HdrHistogram corrected for coordinated omission at the touch interval. In these \"idle\""
                + " runs the background stream is capped at ")
            .append(mibPerSecond((double) guest.idleBandwidthBytesPerSecond()))
            .append(" (a trickle). The destination also runs the VM's simulated devices (a DMA every 200 µs), as"
                + " every migration of this build does. The baselines send an 8-byte request and wait for a 4 KiB"
                + " answer, back to back:"
                + " plain blocking sockets, and Netty (the engine's transport, the caller thread woken per answer"
                + " as a faulting vCPU is). The ratios use the faster of the two");
        BenchSummary.TcpRoundTrip rtt = s.figures().tcpRoundTrip();
        md.append(rtt == null ? " (not measured in this run)" : " (`" + rtt.baseline() + "`)").append(".\n\n");
        Latency baseline = baseline(s);
        latencyHeader(md);
        latencyRow(md, "TCP round trip, plain sockets", rtt == null ? null : rtt.plain(), baseline);
        latencyRow(md, "TCP round trip, Netty", rtt == null ? null : rtt.netty(), baseline);
        latencyRow(md, "TCP round trip, plain, paced like the guest (context)", rtt == null ? null : rtt.pacedPlain(),
            baseline);
        latencyRow(md, "two thread wake-ups, no network (context)", rtt == null ? null : rtt.threadHandoff(),
            baseline);
        for (BackendFigures backend : s.backends()) {
            latencyRow(md, "fault, " + backend.backend() + (backend.isDefault() ? " (default)" : "") + ", idle",
                backend.idleFaultLatencyUs(), baseline);
        }
        md.append('\n');
        md.append("Every row contains thread wake-ups: a blocking round trip two, a fault several (vCPU, event loops,"
            + " the userfaultfd handler). On a small VM, waking a thread on an idle vCPU is expensive (the host must"
            + " schedule that vCPU again), and it is cheap when the other vCPU is busy anyway, so all these figures"
            + " rise and fall together with the machine's activity; the \"two thread wake-ups\" row shows what a"
            + " wake-up cost during this run. Compare the ratios, measured side by side, rather than absolute"
            + " microseconds across runs.\n\n");
        chart(md, charts, "fault-latency.png", "fault latency vs TCP round trip");
    }

    private static Latency baseline(BenchSummary s) {
        BenchSummary.TcpRoundTrip rtt = s.figures().tcpRoundTrip();
        if (rtt == null) {
            return null;
        }
        return "netty".equals(rtt.baseline()) ? rtt.netty() : rtt.plain();
    }

    private static void loadedFaults(StringBuilder md, BenchSummary s) {
        md.append("## 2. Fault latency while the background stream saturates the link\n\n");
        md.append("The same guest and touch rate, the background stream uncapped (the runs of section 6). This is"
            + " what the separate urgent connection is for.\n\n");
        latencyHeader(md);
        Latency baseline = baseline(s);
        for (BackendFigures backend : s.backends()) {
            latencyRow(md, "fault, " + backend.backend() + ", idle", backend.idleFaultLatencyUs(), baseline);
            latencyRow(md, "fault, " + backend.backend() + ", loaded", backend.loadedFaultLatencyUs(), baseline);
        }
        md.append("\n| backend | loaded p99 / idle p99 |\n|---|---|\n");
        for (BackendFigures backend : s.backends()) {
            md.append("| ").append(backend.backend()).append(backend.isDefault() ? " (default)" : "").append(" | ")
                .append(number(backend.loadedFaultP99VsIdleP99())).append(" |\n");
        }
        md.append('\n');
    }

    private static void uffdHandler(StringBuilder md, BenchSummary s) {
        BenchSummary.UffdHandler u = s.figures().uffdHandler();
        md.append("## 3. userfaultfd fault resolved locally: Java handler vs C handler\n\n");
        if (u == null) {
            md.append("Not measured in this run.\n\n");
            return;
        }
        md.append("`UffdFaultCost`, run by the bench in a child JVM: a thread touches one byte of each of ")
            .append(u.pages()).append(" fresh pages in order; the handler thread answers each MISSING fault with"
                + " `UFFDIO_COPY` of a local page (no network). Wall time / pages, the median of ").append(u.rounds())
            .append(" rounds each, Java and C rounds interleaved (the Java side after one warm-up round; the C"
                + " handler `uffd_c_handler.c` compiled from the bench jar with `gcc -O2 -pthread`).\n\n");
        md.append("| handler | ns per fault |\n|---|---|\n");
        md.append("| Java (engine's `UffdBackend`) | ").append(number(u.javaNsPerFault())).append(" |\n");
        md.append("| C (baseline) | ").append(number(u.cNsPerFault())).append(" |\n");
        md.append("| **Java / C** | ").append(number(s.uffdJavaVsC())).append(" |\n\n");
        if (u.note() != null) {
            md.append("Note: ").append(u.note()).append("\n\n");
        }
    }

    private static void presentRead(StringBuilder md, BenchSummary s, List<String> charts) {
        BenchSummary.PresentRead r = s.figures().presentRead();
        md.append("## 4. Software accessor on a present page vs a raw MemorySegment read\n\n");
        if (r == null) {
            md.append("Not measured in this run.\n\n");
            return;
        }
        md.append("JMH (`PresentPageReadBenchmark`, run through JMH's Runner API, average time per read), 8-byte"
            + " reads over ").append(r.memoryBytes() >> 20).append(" MiB of present pages.\n\n");
        md.append("| reads | accessor ns | raw ns | accessor / raw |\n|---|---|---|---|\n");
        md.append("| random | ").append(number(r.randomAccessorNs())).append(" | ").append(number(r.randomRawNs()))
            .append(" | ").append(number(s.presentReadVsRaw())).append(" |\n");
        md.append("| sequential | ").append(number(r.sequentialAccessorNs())).append(" | ")
            .append(number(r.sequentialRawNs())).append(" | ").append(number(r.sequentialVsRaw())).append(" |\n\n");
        if (r.softwareFaultNs() != null) {
            md.append("An in-process software fault (`SoftwareFaultBenchmark`: request, copy, wake, no network)"
                + " costs ").append(number(r.softwareFaultNs())).append(" ns.\n\n");
        }
        chart(md, charts, "present-read.png", "present-page reads");
    }

    private static void throughput(StringBuilder md, BenchSummary s, List<String> charts) {
        BenchSummary.Throughput t = s.figures().throughput();
        md.append("## 5. Background stream throughput vs raw loopback TCP bulk\n\n");
        if (t == null) {
            md.append("Not measured in this run.\n\n");
            return;
        }
        md.append("The background figure is the non-zero pages the background stream delivered, times the page"
            + " size, over the migration's total time (source stop to last page installed) of the largest"
            + " uncapped run (`").append(t.fromRun() == null ? "none in this run" : t.fromRun())
            .append("`); the baseline is one plain socket writing 256 KiB"
                + " chunks over loopback.\n\n");
        md.append("| | throughput |\n|---|---|\n");
        md.append("| raw TCP bulk (plain socket) | ").append(mibPerSecond(t.tcpBulkBytesPerSecond())).append(" |\n");
        for (BackendFigures backend : s.backends()) {
            md.append("| background stream, ").append(backend.backend()).append(" | ")
                .append(mibPerSecond(backend.backgroundBytesPerSecond())).append(" |\n");
        }
        md.append("| **background / TCP** (default backend) | ").append(number(s.backgroundVsTcpThroughput()))
            .append(" |\n\n");
        chart(md, charts, "throughput.png", "throughput");
    }

    private static void downtime(StringBuilder md, BenchSummary s, List<String> charts) {
        md.append("## 6. Downtime and total migration time\n\n");
        md.append("Downtime runs from the source's stop to the destination's first vCPU step; total time from the"
            + " stop to the last page installed. Workload `random`, background stream uncapped.\n\n");
        md.append("| backend | size | downtime ms | total time ms |\n|---|---|---|---|\n");
        for (BackendFigures backend : s.backends()) {
            for (String size : BenchSummary.SIZES) {
                Double down = backend.downtimeMs() == null ? null : backend.downtimeMs().get(size);
                Double total = backend.totalTimeMs() == null ? null : backend.totalTimeMs().get(size);
                md.append("| ").append(backend.backend()).append(" | ").append(size).append(" | ")
                    .append(down == null ? notRun(s, size) : number(down)).append(" | ")
                    .append(total == null ? DASH : number(total)).append(" |\n");
            }
        }
        md.append('\n');
        chart(md, charts, "downtime.png", "downtime by size");
        chart(md, charts, "total-time.png", "total migration time by size");
    }

    private static String notRun(BenchSummary s, String size) {
        return "4g".equals(size) && s.quick() ? "not run (`--quick`)" : "not measured";
    }

    private static void modes(StringBuilder md, BenchSummary s) {
        BenchSummary.ModeComparison m = s.figures().modes();
        md.append("## 7. postcopy vs hybrid vs precopy on a write-heavy workload\n\n");
        if (m == null || !m.measured()) {
            md.append("**Not measured: ").append(m == null ? "modes not available in this build" : m.reason())
                .append(".** No numbers are given rather than invented ones. The JSON summary keeps the fields"
                    + " (`figures.modes`: `postcopy`, `hybrid`, `precopy`, each with `downtimeMs`, `totalTimeMs`,"
                    + " `pagesSent`, `faults`, `faultP99Us`, ...) for a run that measures them.\n\n");
            return;
        }
        md.append("The same ").append(m.size()).append(" guest (workload `").append(m.workload())
            .append("`: half the steps write, anywhere in memory) migrated in each mode with the default backend and"
                + " the background stream uncapped; ").append(m.settings()).append(" (its vCPU writes as fast as"
                + " one core allows, which makes the workload write-heavy). Total time runs from the destination's"
                + " first connection to the last page installed, precopy rounds included; pages sent count every"
                + " page on the wire, re-sends included.\n\n");
        md.append("| mode | result | downtime ms | total time ms | pages sent | precopy rounds | converged |"
            + " discarded | faults | fault p99 µs |\n|---|---|---|---|---|---|---|---|---|---|\n");
        modeRow(md, "postcopy", m.postcopy());
        modeRow(md, "hybrid", m.hybrid());
        modeRow(md, "precopy", m.precopy());
        md.append('\n');
    }

    private static void modeRow(StringBuilder md, String name, ModeFigures f) {
        if (f == null) {
            md.append("| ").append(name).append(" | did not finish (see the log) | | | | | | | | |\n");
            return;
        }
        md.append("| ").append(name).append(" | ").append(f.result()).append(" | ").append(number(f.downtimeMs()))
            .append(" | ").append(number(f.totalTimeMs())).append(" | ").append(f.pagesSent()).append(" | ")
            .append(f.precopyRounds()).append(" | ").append(f.converged() ? "yes" : "no").append(" | ")
            .append(f.pagesDiscarded()).append(" | ").append(f.faults()).append(" | ")
            .append(number(f.faultP99Us())).append(" |\n");
    }

    private static void prefetch(StringBuilder md, BenchSummary s) {
        BenchSummary.PrefetchComparison p = s.figures().prefetch();
        md.append("## 8. Prefetch around faults on the hot-set workload\n\n");
        md.append("Workload `hotset` (90% of touches in 10% of memory), same paced guest, background stream"
            + " uncapped. The working set is the distinct pages the guest touched during the migration; a network"
            + " fault is a touch that had to fetch its page.\n\n");
        if (p == null) {
            md.append("Not measured in this run.\n\n");
            return;
        }
        md.append("| | size | network faults | working set pages | share | duplicate pages |\n"
            + "|---|---|---|---|---|---|\n");
        hotSetRow(md, "this build", p.current());
        hotSetRow(md, "prefetch on", p.on());
        hotSetRow(md, "prefetch off", p.off());
        md.append('\n');
        if (!p.measured()) {
            md.append("**On vs off not measured: ").append(p.reason()).append(".** The row \"this build\" is what"
                + " the engine does today.\n\n");
        }
    }

    private static void hotSetRow(StringBuilder md, String name, HotSetFigures f) {
        if (f == null) {
            md.append("| ").append(name).append(" | not measured | | | | |\n");
            return;
        }
        md.append("| ").append(name).append(" | ").append(f.size()).append(" | ").append(f.networkFaults())
            .append(" | ").append(f.workingSetPages()).append(" | ").append(number(f.share())).append(" | ")
            .append(f.duplicatePages()).append(" |\n");
    }

    private static void migrations(StringBuilder md, BenchSummary s) {
        md.append("## Every migration of this run\n\n");
        md.append("| scenario | backend | size | workload | cap | result | downtime ms | total ms | demand |"
            + " background | zero | precopy | dup | faults | working set | fault p50 µs | p99 µs |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Migration m : s.figures().migrations()) {
            md.append("| ").append(m.scenario()).append(" | ").append(m.backend()).append(" | ").append(m.size())
                .append(" | ").append(m.workload()).append(" | ")
                .append(m.bandwidthBytesPerSecond() == 0 ? "none" : mibPerSecond((double) m.bandwidthBytesPerSecond()))
                .append(" | ").append(m.result()).append(" | ").append(number(m.downtimeMs())).append(" | ")
                .append(number(m.totalTimeMs())).append(" | ").append(m.demandPages()).append(" | ")
                .append(m.backgroundPages()).append(" | ").append(m.zeroPages()).append(" | ")
                .append(m.precopyPages()).append(" | ")
                .append(m.duplicatePages()).append(" | ").append(m.faults()).append(" | ")
                .append(m.workingSetPages()).append(" | ")
                .append(m.faultLatencyUs() == null ? DASH : number(m.faultLatencyUs().p50())).append(" | ")
                .append(m.faultLatencyUs() == null ? DASH : number(m.faultLatencyUs().p99())).append(" |\n");
        }
        md.append('\n');
    }

    private static void reproduce(StringBuilder md, BenchSummary s) {
        md.append("## Reproduce\n\n```\n").append(s.command()).append("\n```\n\n");
        md.append("`--quick` runs fewer and smaller migrations and shorter JMH iterations (under 3 minutes on 2"
            + " cores); without it the 4 GiB migrations run too (under 15 minutes). `--json` also prints"
            + " `summary.json` on stdout. Raw JMH stays available: `./postcopy bench jmh -l`. Measure on a quiet"
            + " machine: check the load averages above.\n");
    }

    private static void chart(StringBuilder md, List<String> charts, String file, String alt) {
        if (charts.contains(file)) {
            md.append("![").append(alt).append("](").append(file).append(")\n\n");
        }
    }
}
