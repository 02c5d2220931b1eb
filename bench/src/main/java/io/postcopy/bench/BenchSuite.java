package io.postcopy.bench;

import io.postcopy.bench.harness.MigrationHarness;
import io.postcopy.bench.harness.MigrationRun;
import io.postcopy.bench.harness.MigrationScenario;
import io.postcopy.bench.report.BenchSummary;
import io.postcopy.bench.report.BenchSummary.BackendFigures;
import io.postcopy.bench.report.BenchSummary.HotSetFigures;
import io.postcopy.bench.report.BenchSummary.Latency;
import io.postcopy.bench.report.BenchSummary.Migration;
import io.postcopy.bench.report.BenchSummary.ModeFigures;
import io.postcopy.bench.report.Goals;
import io.postcopy.engine.backend.BackendChoice;
import io.postcopy.engine.backend.BackendKind;
import io.postcopy.engine.backend.FaultBackends;
import io.postcopy.engine.backend.uffd.UserfaultfdProbe;
import io.postcopy.engine.migration.MigrationMode;
import io.postcopy.transport.NettyTransport;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the measurements of a {@link BenchConfig} in one go, each next to its baseline, and returns the summary.
 * Order: the raw TCP baselines, the migrations (idle and loaded faults, downtime, throughput), the hot-set run,
 * the userfaultfd handler comparison, and last the JMH reads (which fork JVMs). Called by one thread.
 */
final class BenchSuite {
    private static final Logger LOG = LoggerFactory.getLogger(BenchSuite.class);
    private static final String IDLE = "idle";
    private static final String LOADED = "loaded";
    private static final String HOT_SET = "hotset";
    private static final String FAULT_WORKLOAD = "random";
    private static final long WARM_UP_BYTES = 16L << 20;
    /** Write-heavy: half the steps write, spread over all of memory, so precopy's dirty set does not shrink. */
    private static final String MODE_WORKLOAD = "random";

    private final BenchConfig config;
    private final String command;
    private final List<Migration> migrations = new ArrayList<>();
    private boolean anyMigrationFailed;

    BenchSuite(BenchConfig config, String command) {
        this.config = config;
        this.command = command;
    }

    /** True if some migration did not PASS (or did not finish) in the last {@link #run()}. */
    boolean anyMigrationFailed() {
        return anyMigrationFailed;
    }

    /** Measures everything the configuration asks for. */
    BenchSummary run() throws Exception {
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        List<Double> loadStart = MachineInfo.loadAverages();
        LOG.info("postcopy bench ({}): load average at start {}", config.name(), loadStart);
        BackendKind defaultKind = FaultBackends.resolve(BackendChoice.AUTO);
        List<BackendChoice> backends = new ArrayList<>();
        backends.add(defaultKind == BackendKind.USERFAULTFD ? BackendChoice.USERFAULTFD : BackendChoice.SOFTWARE);
        if (defaultKind == BackendKind.USERFAULTFD) {
            backends.add(BackendChoice.SOFTWARE);
        }

        BenchSummary.TcpRoundTrip rtt = null;
        Double tcpBulk = null;
        if (config.runs(BenchConfig.TCP)) {
            LOG.info("raw TCP: {} round trips each with plain sockets and Netty, {} paced, bulk {} x {} MiB",
                config.roundTrips(), config.pacedRoundTrips(), config.bulkRepeats(), config.bulkBytes() >> 20);
            Latency plain = latency(LoopbackBaseline.roundTrips(config.roundTrips()), false);
            Latency netty = latency(NettyLoopbackBaseline.roundTrips(config.roundTrips()), false);
            Latency paced = latency(LoopbackBaseline.roundTrips(config.pacedRoundTrips(), config.touchIntervalNs()),
                false);
            Latency handoff = latency(ThreadHandoff.roundTrips(config.roundTrips()), false);
            rtt = new BenchSummary.TcpRoundTrip(plain, netty, paced, netty.p50() < plain.p50() ? "netty" : "plain",
                handoff);
            List<Double> bulks = new ArrayList<>();
            for (int i = 0; i < config.bulkRepeats(); i++) {
                bulks.add(LoopbackBaseline.bulk(config.bulkBytes()));
            }
            tcpBulk = UffdHandlerComparison.median(bulks);
            LOG.info("raw TCP: plain p50 {} us, netty p50 {} us, paced p50 {} us, thread hand-off p50 {} us,"
                + " bulk {} MiB/s", plain.p50(), netty.p50(), paced.p50(), handoff.p50(),
                Math.round(tcpBulk / (1 << 20)));
        }
        Latency baseline = rtt == null ? null : "netty".equals(rtt.baseline()) ? rtt.netty() : rtt.plain();

        if (config.runs(BenchConfig.FAULTS) || config.runs(BenchConfig.HOTSET) || config.runs(BenchConfig.MODES)) {
            for (BackendChoice backend : backends) {
                warmUp(backend);
            }
        }
        List<BackendFigures> backendFigures = new ArrayList<>();
        Map<BackendChoice, MigrationRun> largestLoaded = new LinkedHashMap<>();
        if (config.runs(BenchConfig.FAULTS)) {
            for (BackendChoice backend : backends) {
                backendFigures.add(faultFigures(backend, backend == backends.getFirst(), baseline, largestLoaded));
            }
        }

        BenchSummary.PrefetchComparison prefetch = null;
        Double networkFaultShare = null;
        if (config.runs(BenchConfig.HOTSET)) {
            MigrationScenario hotSet = scenario(HOT_SET, backends.getFirst(), config.hotSetMemoryBytes(), "hotset", 0);
            HotSetFigures on = hotSetFigures(migrate(hotSet));
            HotSetFigures off = hotSetFigures(migrate(hotSet.withPrefetchPages(0)));
            if (on != null) {
                networkFaultShare = on.share();
                prefetch = new BenchSummary.PrefetchComparison(off != null, off != null ? "prefetch of "
                    + MigrationScenario.DEFAULT_PREFETCH_PAGES + " pages after each fault (the default) vs none"
                    : "the run without prefetch did not finish", on, on, off);
            }
        }

        BenchSummary.ModeComparison modes = config.runs(BenchConfig.MODES) ? compareModes(backends.getFirst())
            : new BenchSummary.ModeComparison(false, "skipped in this run (--only)", MODE_WORKLOAD, null, null, null,
                null, null);

        BenchSummary.UffdHandler uffd = null;
        Double uffdRatio = null;
        if (config.runs(BenchConfig.UFFD)) {
            LOG.info("userfaultfd: Java vs C handler, {} pages x {} rounds", config.uffdPages(), config.uffdRounds());
            UffdHandlerComparison.Result r = UffdHandlerComparison.measure(config.uffdPages(), config.uffdRounds());
            uffd = new BenchSummary.UffdHandler(round1(r.javaNsPerFault()), round1(r.cNsPerFault()), r.pages(),
                r.rounds(), r.unavailable());
            uffdRatio = ratio(r.javaNsPerFault(), r.cNsPerFault());
            LOG.info("userfaultfd: Java {} ns/fault, C {} ns/fault", r.javaNsPerFault(), r.cNsPerFault());
        }

        BenchSummary.PresentRead read = null;
        Double readRatio = null;
        if (config.runs(BenchConfig.JMH)) {
            LOG.info("JMH: PresentPageReadBenchmark{}, {} x {} ms warm-up, {} x {} ms measured",
                config.name().equals("full") ? " and SoftwareFaultBenchmark" : "", config.jmhWarmupIterations(),
                config.jmhIterationMs(), config.jmhIterations(), config.jmhIterationMs());
            PresentReadJmh.Result r = PresentReadJmh.run(config.jmhWarmupIterations(), config.jmhIterations(),
                config.jmhIterationMs(), config.name().equals("full"));
            read = new BenchSummary.PresentRead(round3(r.randomAccessorNs()), round3(r.randomRawNs()),
                round3(r.sequentialAccessorNs()), round3(r.sequentialRawNs()),
                ratio(r.sequentialAccessorNs(), r.sequentialRawNs()), r.memoryBytes(),
                r.softwareFaultNs() == null ? null : round1(r.softwareFaultNs()));
            readRatio = ratio(r.randomAccessorNs(), r.randomRawNs());
        }

        MigrationRun throughputRun = largestLoaded.get(backends.getFirst());
        Double background = throughputRun == null ? null : throughputRun.backgroundBytesPerSecond();
        BenchSummary.Throughput throughput = new BenchSummary.Throughput(round1(background), round1(tcpBulk),
            throughputRun == null ? null : throughputRun.backend() + " "
                + BenchConfig.sizeLabel(throughputRun.scenario().memoryBytes()));
        Long duplicates = migrations.isEmpty() ? null
            : migrations.stream().mapToLong(Migration::duplicatePages).sum();
        BackendFigures primary = backendFigures.isEmpty() ? null : backendFigures.getFirst();
        BenchSummary.Machine machine = new BenchSummary.Machine(Runtime.getRuntime().availableProcessors(), loadStart,
            MachineInfo.loadAverages(), MachineInfo.jdk(), MachineInfo.os(), NettyTransport.best().reportName(),
            UserfaultfdProbe.isAvailable());
        LOG.info("postcopy bench: load average at end {}", machine.loadAverageEnd());
        BenchSummary summary = new BenchSummary(BenchSummary.SCHEMA, date, config.name().equals("quick"), command,
            machine, backends.getFirst().cliName(),
            primary == null ? null : primary.faultP50VsTcpRtt(),
            primary == null ? null : primary.faultP99VsTcpRtt(),
            primary == null ? null : primary.loadedFaultP99VsIdleP99(),
            uffdRatio, readRatio, ratio(background, tcpBulk),
            primary == null ? orderedSizes(Map.of()) : primary.downtimeMs(),
            networkFaultShare, duplicates, backendFigures,
            new BenchSummary.Figures(new BenchSummary.Guest(config.vcpus(), config.touchesPerSecondPerVcpu(),
                config.idleBandwidthBytesPerSecond(), FAULT_WORKLOAD), rtt, uffd, read, throughput,
                List.copyOf(migrations), modes, prefetch),
            List.of());
        return summary.withGoals(Goals.evaluate(summary));
    }

    private BackendFigures faultFigures(BackendChoice backend, boolean isDefault, Latency baseline,
                                        Map<BackendChoice, MigrationRun> largestLoaded) throws InterruptedException {
        Histogram idleCorrected = new Histogram(3);
        Histogram idleRaw = new Histogram(3);
        for (int i = 0; i < config.idleRuns(); i++) {
            MigrationRun run = migrate(scenario(IDLE, backend, config.idleMemoryBytes(), FAULT_WORKLOAD,
                config.idleBandwidthBytesPerSecond()));
            if (run != null) {
                idleCorrected.add(run.faultLatencyNs());
                idleRaw.add(run.uncorrectedNs());
            }
        }
        Histogram loadedCorrected = new Histogram(3);
        Histogram loadedRaw = new Histogram(3);
        Map<String, Double> downtime = new LinkedHashMap<>();
        Map<String, Double> total = new LinkedHashMap<>();
        for (long size : config.loadedSizesBytes()) {
            MigrationRun run = migrate(scenario(LOADED, backend, size, FAULT_WORKLOAD, 0));
            if (run != null) {
                loadedCorrected.add(run.faultLatencyNs());
                loadedRaw.add(run.uncorrectedNs());
                downtime.put(BenchConfig.sizeLabel(size), round3(run.report().downtimeMs()));
                total.put(BenchConfig.sizeLabel(size), round3(run.report().totalTimeMs()));
                largestLoaded.put(backend, run);
            }
        }
        Latency idle = idleCorrected.getTotalCount() == 0 ? null : latency(idleCorrected, idleRaw);
        Latency loaded = loadedCorrected.getTotalCount() == 0 ? null : latency(loadedCorrected, loadedRaw);
        MigrationRun largest = largestLoaded.get(backend);
        return new BackendFigures(backend.cliName(), isDefault,
            idle == null || baseline == null ? null : ratio(idle.p50(), baseline.p50()),
            idle == null || baseline == null ? null : ratio(idle.p99(), baseline.p99()),
            idle == null || loaded == null ? null : ratio(loaded.p99(), idle.p99()),
            idle, loaded, orderedSizes(downtime), orderedSizes(total),
            largest == null ? null : round1(largest.backgroundBytesPerSecond()));
    }

    /** The same guest migrated in each mode, uncapped, with the default backend. */
    private BenchSummary.ModeComparison compareModes(BackendChoice backend) throws InterruptedException {
        ModeFigures[] figures = new ModeFigures[MigrationMode.values().length];
        for (MigrationMode mode : MigrationMode.values()) {
            MigrationScenario scenario = new MigrationScenario("mode-" + mode.cliName(), backend,
                config.modeMemoryBytes(), MODE_WORKLOAD, config.vcpus(), config.touchesPerSecondPerVcpu(), 0, 0,
                config.migrationTimeoutMs(), mode, config.maxPrecopyRounds(), MigrationScenario.DEFAULT_PREFETCH_PAGES);
            MigrationRun run = migrate(scenario);
            figures[mode.ordinal()] = run == null ? null : new ModeFigures(run.passed() ? "PASS" : "FAIL",
                round3(run.report().downtimeMs()), Double.isNaN(run.migrationTimeMs()) ? null
                    : round3(run.migrationTimeMs()), run.pagesSent(), run.report().faults(),
                run.faultLatencyNs().getTotalCount() == 0 ? null
                    : micros(run.faultLatencyNs().getValueAtPercentile(99)),
                run.migration().precopyRounds(), run.migration().converged(), run.migration().pagesDiscarded());
        }
        String settings = String.format(Locale.ROOT, "hybrid: %d precopy rounds at most; precopy: a downtime budget"
                + " of %d ms, %d rounds at most; the source's vCPU runs unpaced", MigrationScenario.HYBRID_ROUNDS,
            MigrationScenario.DOWNTIME_BUDGET_MS, config.maxPrecopyRounds());
        return new BenchSummary.ModeComparison(true, null, MODE_WORKLOAD,
            BenchConfig.sizeLabel(config.modeMemoryBytes()), settings, figures[MigrationMode.POSTCOPY.ordinal()],
            figures[MigrationMode.HYBRID.ordinal()], figures[MigrationMode.PRECOPY.ordinal()]);
    }

    /**
     * One small unrecorded migration per backend first, so that class loading and the JIT's first compilations of
     * the transport and engine do not land in the first measured run (the TCP baselines warm up too).
     */
    private void warmUp(BackendChoice backend) throws InterruptedException {
        MigrationScenario scenario = scenario("warm-up", backend, WARM_UP_BYTES, FAULT_WORKLOAD, 0);
        try {
            MigrationHarness.run(scenario);
        } catch (RuntimeException e) {
            LOG.warn("warm-up migration with {} failed: {}", backend.cliName(), e.toString());
        }
    }

    /**
     * Faults as the guest saw them (touches that waited for the network), over the pages it touched: both counted by
     * the same paced accessors, so device DMA does not enter either side. Null if the run did not finish.
     */
    private HotSetFigures hotSetFigures(MigrationRun hot) {
        if (hot == null) {
            return null;
        }
        long guestFaults = hot.uncorrectedNs().getTotalCount();
        return new HotSetFigures(BenchConfig.sizeLabel(config.hotSetMemoryBytes()), guestFaults,
            hot.workingSetPages(), round3((double) guestFaults / Math.max(1, hot.workingSetPages())),
            hot.report().pages().duplicate());
    }

    private MigrationScenario scenario(String name, BackendChoice backend, long memoryBytes, String workload,
                                       long bandwidth) {
        return new MigrationScenario(name, backend, memoryBytes, workload, config.vcpus(),
            config.touchesPerSecondPerVcpu(), bandwidth, 0, config.migrationTimeoutMs());
    }

    /** One migration, recorded in the run's table; null (and logged, and counted as failed) if it did not finish. */
    private MigrationRun migrate(MigrationScenario scenario) throws InterruptedException {
        String size = BenchConfig.sizeLabel(scenario.memoryBytes());
        LOG.info("migration: {} {} {} workload {} cap {} B/s", scenario.name(), scenario.backend().cliName(), size,
            scenario.workload(), scenario.bandwidthBytesPerSecond());
        try {
            MigrationRun run = MigrationHarness.run(scenario);
            boolean passed = run.passed();
            anyMigrationFailed |= !passed;
            migrations.add(new Migration(scenario.name(), run.backend(), size, scenario.workload(),
                scenario.bandwidthBytesPerSecond(), passed ? "PASS" : "FAIL", round3(run.report().downtimeMs()),
                round3(run.report().totalTimeMs()), run.report().pages().demand(), run.report().pages().background(),
                run.report().pages().zero(), run.report().pages().precopy(), run.report().pages().duplicate(),
                run.report().faults(),
                run.workingSetPages(), run.faultLatencyNs().getTotalCount() == 0 ? null
                    : latency(run.faultLatencyNs(), run.uncorrectedNs())));
            return run;
        } catch (RuntimeException e) {
            LOG.error("migration {} {} {} failed: {}", scenario.name(), scenario.backend().cliName(), size,
                e.toString(), e);
            anyMigrationFailed = true;
            migrations.add(new Migration(scenario.name(), scenario.backend().cliName(), size, scenario.workload(),
                scenario.bandwidthBytesPerSecond(), "ERROR: " + e.getMessage(), 0, 0, 0, 0, 0, 0, 0, 0, 0, null));
            return null;
        }
    }

    private static Map<String, Double> orderedSizes(Map<String, Double> bySize) {
        Map<String, Double> ordered = new LinkedHashMap<>();
        for (String size : BenchSummary.SIZES) {
            ordered.put(size, bySize.get(size));
        }
        bySize.forEach(ordered::putIfAbsent);
        return ordered;
    }

    static Latency latency(Histogram corrected, Histogram uncorrected) {
        return new Latency(corrected.getTotalCount(), micros(corrected.getValueAtPercentile(50)),
            micros(corrected.getValueAtPercentile(99)), micros(corrected.getValueAtPercentile(99.9)),
            micros(corrected.getMaxValue()), micros(uncorrected.getValueAtPercentile(99)));
    }

    static Latency latency(Histogram histogram, boolean corrected) {
        Latency l = latency(histogram, histogram);
        return corrected ? l : new Latency(l.count(), l.p50(), l.p99(), l.p999(), l.max(), null);
    }

    private static double micros(long nanos) {
        return Math.round(nanos / 100.0) / 10.0;
    }

    static Double ratio(Double value, Double baseline) {
        if (value == null || baseline == null || baseline == 0) {
            return null;
        }
        return round3(value / baseline);
    }

    private static double round3(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

    private static Double round1(Double value) {
        return value == null ? null : Math.round(value * 10) / 10.0;
    }
}
