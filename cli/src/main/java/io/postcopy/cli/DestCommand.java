package io.postcopy.cli;

import io.postcopy.cli.metrics.FaultLatencyRecorder;
import io.postcopy.cli.metrics.MetricsEndpoint;
import io.postcopy.cli.option.BackendOption;
import io.postcopy.cli.option.DurationConverter;
import io.postcopy.cli.option.HostPort;
import io.postcopy.cli.report.MigrationSummary;
import io.postcopy.cli.report.ReportWriter;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.transport.DestinationNode;
import io.postcopy.transport.DestinationOptions;
import io.postcopy.transport.DestinationResult;
import io.postcopy.transport.MigrationProgress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** {@code postcopy dest}: migrates the VM of a running source here, verifies it, prints the report. */
@Command(name = "dest", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Migrate the VM of a running 'postcopy source' here, run it, verify every page and the "
        + "workload, and print the report.", "Exit code: 0 PASS, 1 FAIL, 2 error."})
final class DestCommand implements Callable<Integer> {
    /** The prefix of the lines {@code --progress-lines} prints on stderr. */
    static final String PROGRESS_PREFIX = "PROGRESS ";

    @Spec
    private CommandSpec spec;

    @Option(names = "--connect", required = true, paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
        description = "The source's address (its LISTENING line).")
    HostPort connect;

    @Option(names = "--backend", paramLabel = "auto|software|uffd", defaultValue = "auto",
        converter = BackendOption.Converter.class,
        description = "How faults are caught (default: ${DEFAULT-VALUE}).")
    BackendOption backend;

    @Option(names = "--json", description = "Print the report as one JSON object.")
    boolean json;

    @Option(names = "--metrics-port", paramLabel = "P",
        description = "Serve Prometheus metrics at http://<host>:P/metrics.")
    Integer metricsPort;

    @Option(names = "--prefetch", paramLabel = "N", defaultValue = "8",
        description = "Prefetch around faults: also ask for the N pages after each faulting page "
            + "(default: ${DEFAULT-VALUE}; 0 turns it off).")
    int prefetchPages;

    @Option(names = "--run-after", paramLabel = "DURATION", defaultValue = "500ms",
        converter = DurationConverter.class,
        description = "How long the VM runs here after the last page arrived, before the check "
            + "(default: ${DEFAULT-VALUE}).")
    Duration runAfter;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "120s", converter = DurationConverter.class,
        description = "Upper bound on the whole migration (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--keepalive-timeout", paramLabel = "DURATION", defaultValue = "10s",
        converter = DurationConverter.class,
        description = "Fail when the source sends nothing (not even a PONG to the PINGs sent every second, or "
            + "four times per deadline if it is shorter) for this long (default: ${DEFAULT-VALUE}).")
    Duration keepaliveTimeout;

    @Option(names = "--recovery-timeout", paramLabel = "DURATION", defaultValue = "60s",
        converter = DurationConverter.class,
        description = "After the VM resumed here, how long a lost network to the source may take to come back "
            + "(reconnecting, faulting vCPUs wait) before the migration fails; 0 turns recovery off "
            + "(default: ${DEFAULT-VALUE}).")
    Duration recoveryTimeout;

    @Option(names = "--progress-lines", hidden = true,
        description = "Print 'PROGRESS <installed> <total>' lines on stderr (for the demo).")
    boolean progressLines;

    @Option(names = "--die-with-parent", hidden = true, description = "Exit when the parent process exits (demo).")
    boolean dieWithParent;

    @Override
    public Integer call() throws InterruptedException {
        Function<FaultEngineContext, FaultBackend> backendFactory = backend.factory();
        DurationConverter.requirePositive("--timeout", timeout);
        if (dieWithParent) {
            ParentWatch.start();
        }
        DestinationOptions options = new DestinationOptions(connect.host(), connect.port(), backendFactory,
            runAfter.toMillis(), timeout.toMillis(), prefetchPages).withRecoveryTimeoutMs(recoveryTimeout.toMillis())
            .withKeepalive(pingIntervalFor(keepaliveTimeout), keepaliveTimeout.toMillis());
        PrintWriter err = spec.commandLine().getErr();
        MigrationProgress progress = progressLines ? (installed, total) -> {
            err.println(PROGRESS_PREFIX + installed + " " + total);
            err.flush();
        } : MigrationProgress.NONE;
        FaultLatencyRecorder latency = new FaultLatencyRecorder();
        try (MetricsEndpoint metrics = MetricsEndpoint.open(metricsPort)) {
            metrics.address().ifPresent(a -> err.println("METRICS http://localhost:" + a.getPort() + "/metrics"));
            DestinationResult result = DestinationNode.migrate(options, metrics.registry(), latency, progress);
            MigrationSummary summary = MigrationSummary.of(result.report(), result.transportName(), result.workload(),
                result.vcpus(), latency.summary(), result.migration(), result.machine());
            ReportWriter.print(spec.commandLine().getOut(), summary, json);
            return summary.passed() ? ExitCodes.OK : ExitCodes.FAIL;
        }
    }

    /** One PING a second, or four per keepalive deadline when that is shorter than four seconds. */
    static long pingIntervalFor(Duration keepaliveTimeout) {
        DurationConverter.requirePositive("--keepalive-timeout", keepaliveTimeout);
        return Math.max(1, Math.min(DestinationOptions.DEFAULT_PING_INTERVAL_MS, keepaliveTimeout.toMillis() / 4));
    }
}
