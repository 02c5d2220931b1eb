package io.postcopy.cli;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.migration.MigrationMode;
import io.postcopy.cli.demo.InProcessDemo;
import io.postcopy.cli.demo.ProgressDisplay;
import io.postcopy.cli.demo.TwoJvmDemo;
import io.postcopy.cli.option.BackendOption;
import io.postcopy.cli.option.DurationConverter;
import io.postcopy.cli.report.MigrationSummary;
import io.postcopy.cli.report.ReportWriter;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.migration.InProcessMigration;
import io.postcopy.transport.SourceOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * {@code postcopy demo}: migrates a running VM from a source JVM to a destination JVM on loopback (or inside this
 * JVM with {@code --in-process}) and prints the report.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Migrate a running simulated VM between two JVMs on this machine and print the report.",
        "Exit code: 0 PASS, 1 FAIL, 2 error."})
final class DemoCommand implements Callable<Integer> {
    /** How long the in-process source runs its workload before it stops and the migration starts. */
    private static final long IN_PROCESS_SOURCE_RUN_MS = 200;

    @Spec
    private CommandSpec spec;

    @picocli.CommandLine.Mixin
    io.postcopy.cli.option.GuestOptions guest;

    @Option(names = "--backend", paramLabel = "auto|software|uffd", defaultValue = "auto",
        converter = BackendOption.Converter.class,
        description = "The destination's fault backend (default: ${DEFAULT-VALUE}).")
    BackendOption backend;

    @picocli.CommandLine.Mixin
    io.postcopy.cli.option.ModeOptions modeOptions;

    @Option(names = "--prefetch", paramLabel = "N", defaultValue = "8",
        description = "Prefetch around faults on the destination: also ask for the N pages after each faulting "
            + "page (default: ${DEFAULT-VALUE}; 0 turns it off).")
    int prefetchPages;

    @Option(names = "--json", description = "Print the report as exactly one JSON object on stdout.")
    boolean json;

    @Option(names = "--in-process", description = "Migrate inside this JVM, without network.")
    boolean inProcess;

    @Option(names = "--run-after", paramLabel = "DURATION", defaultValue = "500ms",
        converter = DurationConverter.class,
        description = "How long the VM runs after the last page arrived, before the check "
            + "(default: ${DEFAULT-VALUE}).")
    Duration runAfter;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "120s", converter = DurationConverter.class,
        description = "Upper bound on the migration; each JVM also gets 30 s to start (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
        description = "Seeds the vCPUs' random numbers (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws InterruptedException {
        boolean verbose = spec.commandLine().getParseResult().hasMatchedOption("--verbose");
        Function<FaultEngineContext, FaultBackend> backendFactory = backend.factory();
        DurationConverter.requirePositive("--timeout", timeout);
        PrintWriter err = spec.commandLine().getErr();
        MigrationSummary summary;
        int sourceExitCode = 0;
        try (ProgressDisplay progress = ProgressDisplay.open(err)) {
            if (inProcess && modeOptions.mode() != MigrationMode.POSTCOPY) {
                throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "--in-process migrates in post-copy only; "
                    + "drop --in-process to use --mode " + modeOptions.mode().cliName());
            }
            if (inProcess) {
                InProcessMigration.Settings settings = new InProcessMigration.Settings(guest.memoryBytes(),
                    guest.pageSize(), guest.vcpus(), guest.workload(), IN_PROCESS_SOURCE_RUN_MS, runAfter.toMillis(),
                    Math.max(1, timeout.toSeconds()), seed);
                summary = InProcessDemo.run(settings, backendFactory, progress);
            } else {
                // Validates memory, page size, vCPUs and workload here, before any JVM starts.
                new SourceOptions("127.0.0.1", 0, guest.memoryBytes(), guest.pageSize(), guest.vcpus(),
                    guest.workload(), 0, seed, modeOptions.mode(), modeOptions.hybridRounds(), modeOptions.maxRounds(),
                    modeOptions.downtimeBudgetMs());
                TwoJvmDemo.Settings demo = new TwoJvmDemo.Settings(guest.memoryBytes(), guest.pageSize(),
                    guest.vcpus(), guest.workload(), backend.cliName(), runAfter, timeout, seed, verbose,
                    modeOptions.toArgs(), prefetchPages);
                TwoJvmDemo.Outcome outcome = new TwoJvmDemo(demo, err).run(progress);
                summary = outcome.summary();
                sourceExitCode = outcome.sourceExitCode();
            }
        }
        ReportWriter.print(spec.commandLine().getOut(), summary, json);
        return summary.passed() && sourceExitCode == 0 ? ExitCodes.OK : ExitCodes.FAIL;
    }
}
