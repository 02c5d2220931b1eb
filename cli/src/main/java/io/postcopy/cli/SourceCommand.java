package io.postcopy.cli;

import io.postcopy.cli.metrics.MetricsEndpoint;
import io.postcopy.cli.option.BackendOption;
import io.postcopy.cli.option.BandwidthConverter;
import io.postcopy.cli.option.DurationConverter;
import io.postcopy.cli.option.HostPort;
import io.postcopy.cli.report.ReportWriter;
import io.postcopy.cli.report.SourceSummary;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.transport.FailedMigrationException;
import io.postcopy.transport.SourceNode;
import io.postcopy.transport.SourceOptions;
import io.postcopy.transport.SourceResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code postcopy source}: runs a VM and lets one destination migrate it away. Prints
 * {@code LISTENING <host>:<port> transport=<name>} on stdout as soon as it listens (the demo reads it). After a
 * migration that failed before switchover it says so on stderr and waits for the next destination.
 */
@Command(name = "source", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run a simulated VM and serve its memory to one destination that migrates it away.",
        "If a migration fails before switchover, the VM keeps running here and another destination may connect to "
            + "retry; if it fails after switchover, the VM stays paused and the command exits with code 2.",
        "In hybrid and precopy modes, a line 'switchover' on standard input switches over at the end of the current "
            + "precopy round."})
final class SourceCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
        description = "Address to listen on; port 0 picks a free port.")
    HostPort listen;

    @picocli.CommandLine.Mixin
    io.postcopy.cli.option.GuestOptions guest;

    @picocli.CommandLine.Mixin
    io.postcopy.cli.option.ModeOptions modeOptions;

    @Option(names = "--bandwidth", paramLabel = "RATE", defaultValue = "0", converter = BandwidthConverter.class,
        description = "Cap on the background stream in bytes/s, e.g. 100m; demand pages are never held back "
            + "(default: unlimited).")
    long bandwidthBytesPerSecond;

    @Option(names = "--metrics-port", paramLabel = "P",
        description = "Serve Prometheus metrics at http://<host>:P/metrics.")
    Integer metricsPort;

    @Option(names = "--backend", paramLabel = "auto|software|uffd", defaultValue = "auto",
        converter = BackendOption.Converter.class,
        description = "Fault backend. The source takes no faults; it is only checked, so that both sides accept "
            + "the same flags (default: ${DEFAULT-VALUE}).")
    BackendOption backend;

    @Option(names = "--keepalive-timeout", paramLabel = "DURATION", defaultValue = "10s",
        converter = DurationConverter.class,
        description = "Fail a migration whose destination sends nothing (no PING, no request) for this long "
            + "(default: ${DEFAULT-VALUE}).")
    Duration keepaliveTimeout;

    @Option(names = "--resume-wait", paramLabel = "DURATION", defaultValue = "60s",
        converter = DurationConverter.class,
        description = "After switchover, how long to wait for a destination whose network was lost to resume the "
            + "migration before giving up (the VM stays paused here); 0 turns recovery off "
            + "(default: ${DEFAULT-VALUE}).")
    Duration resumeWait;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "120s", converter = DurationConverter.class,
        description = "How long to wait for a destination to connect and finish, retries included "
            + "(default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
        description = "Seeds the vCPUs' random numbers (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    @Option(names = "--die-with-parent", hidden = true, description = "Exit when the parent process exits (demo).")
    boolean dieWithParent;

    /** Reads standard input on a daemon thread: a line {@code switchover} asks the migration to switch now. */
    private static void listenForSwitchoverCommand(SourceNode node) {
        Thread.ofPlatform().name("switchover-command").daemon().start(() -> {
            try (java.io.BufferedReader in = new java.io.BufferedReader(
                new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.trim().equalsIgnoreCase("switchover")) {
                        node.requestSwitchover();
                    }
                }
            } catch (java.io.IOException endOfInput) {
                // no operator console: switchover happens by policy
            }
        });
    }

    @Override
    public Integer call() throws InterruptedException {
        backend.factory();
        DurationConverter.requirePositive("--timeout", timeout);
        if (dieWithParent) {
            ParentWatch.start();
        }
        SourceOptions options = new SourceOptions(listen.host(), listen.port(), guest.memoryBytes(),
            guest.pageSize(), guest.vcpus(), guest.workload(), bandwidthBytesPerSecond, seed, modeOptions.mode(),
            modeOptions.hybridRounds(), modeOptions.maxRounds(), modeOptions.downtimeBudgetMs())
            .withResumeWaitMs(resumeWait.toMillis()).withPeerIdleTimeoutMs(
                DurationConverter.requirePositive("--keepalive-timeout", keepaliveTimeout).toMillis());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (MetricsEndpoint metrics = MetricsEndpoint.open(metricsPort);
             SourceNode node = SourceNode.start(options, metrics.registry())) {
            metrics.address().ifPresent(a -> err.println("METRICS http://" + listen.host() + ":" + a.getPort()
                + "/metrics"));
            InetSocketAddress bound = node.localAddress();
            HostPort address = new HostPort(bound.getHostString(), bound.getPort());
            out.println("LISTENING " + address + " transport=" + node.transportName());
            out.flush();
            listenForSwitchoverCommand(node);
            SourceResult result = awaitMigration(node, address, err);
            ReportWriter.print(out, new SourceSummary("COMPLETED", node.transportName(), address.toString(),
                guest.memoryBytes(), guest.pageSize(), guest.vcpus(), guest.workload(),
                new SourceSummary.SentPages(result.demandPages(), result.backgroundPages(), result.zeroPages()),
                result.requestsForSentPages(), Math.round(result.totalTimeMs() * 1000) / 1000.0), json);
            return ExitCodes.OK;
        }
    }

    /**
     * Waits, within --timeout, for a destination to take the VM. A migration that fails before switchover leaves the
     * VM running here: say so and wait for the next destination. One that fails after switchover ends the command.
     */
    private SourceResult awaitMigration(SourceNode node, HostPort address, PrintWriter err)
        throws InterruptedException {
        long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return node.awaitCompletion(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime())));
            } catch (FailedMigrationException e) {
                if (!e.beforeSwitchover()) {
                    throw afterSwitchover(e);
                }
                err.println("postcopy source: migration failed before switchover (" + e.causeMessage() + "). The VM is "
                    + "still running here; start another destination to retry: postcopy dest --connect " + address);
                err.flush();
            }
        }
    }

    private static PostcopyException afterSwitchover(FailedMigrationException e) {
        String memory = e.unsentPages() > 0
            ? " This side holds the only copy of the " + e.unsentPages() + " pages the destination never received, "
                + "and no destination resumed the migration in time: that memory is released as this command exits, "
                + "so restart the VM from your last snapshot."
            : " The destination had been sent every page: check whether the VM runs there before doing anything "
                + "else.";
        return new PostcopyException(e.code(), "migration failed after switchover (" + e.causeMessage() + "). The VM "
            + "stays paused here and is not resumed: the destination may have run it since, and resuming it here "
            + "could run it twice." + memory, e);
    }
}
