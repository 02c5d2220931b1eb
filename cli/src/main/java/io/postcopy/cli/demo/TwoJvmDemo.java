package io.postcopy.cli.demo;

import io.postcopy.cli.option.HostPort;
import io.postcopy.cli.report.MigrationSummary;
import io.postcopy.cli.report.ReportWriter;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.transport.MigrationProgress;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code postcopy demo}: a source JVM and a destination JVM on loopback. The source listens on a free port and
 * says which in its {@code LISTENING} line; the destination migrates the VM, prints {@code PROGRESS} lines on
 * stderr and its report as JSON on stdout, which this class reads back.
 *
 * <p>Both children are killed on every way out of {@link #run}; every wait has a deadline.
 */
public final class TwoJvmDemo {
    /** Time for a JVM to start and a source to initialize its guest memory, on top of the migration timeout. */
    private static final Duration STARTUP_GRACE = Duration.ofSeconds(30);
    /** Time for the source to notice the end of the session and exit after the destination has. */
    private static final Duration SOURCE_EXIT_GRACE = Duration.ofSeconds(15);

    private final Settings settings;
    private final PrintWriter err;

    /**
     * @param settings what to migrate
     * @param err      where the children's logs go with {@code verbose}, and warnings
     */
    public TwoJvmDemo(Settings settings, PrintWriter err) {
        this.settings = settings;
        this.err = err;
    }

    /**
     * Runs both JVMs to the end and returns the destination's report.
     *
     * @param progress observes the destination's progress
     * @throws PostcopyException if a child fails, says nothing or overruns its deadline
     */
    public Outcome run(MigrationProgress progress) throws InterruptedException {
        long startNs = System.nanoTime();
        try (ChildJvm source = ChildJvm.start("source", sourceArgs(), line -> echo("source", line))) {
            String listening = source.awaitStdoutLine(line -> line.startsWith("LISTENING "),
                startNs + STARTUP_GRACE.toNanos(), "its LISTENING line");
            HostPort address = new HostPort.Converter().convert(listening.split(" ")[1]);
            MigrationSummary summary;
            try (ChildJvm dest = ChildJvm.start("dest", destArgs(address),
                line -> onDestStderr(line, progress))) {
                int exitCode = dest.awaitExit(System.nanoTime() + settings.timeout().toNanos()
                    + STARTUP_GRACE.toNanos());
                if (exitCode != 0 && exitCode != 1) {
                    throw childFailure(source, dest, exitCode);
                }
                summary = ReportWriter.parseMigration(dest.remainingStdout());
            }
            int sourceExit = source.awaitExit(System.nanoTime() + SOURCE_EXIT_GRACE.toNanos());
            if (sourceExit != 0) {
                dumpTail(source);
                err.println("postcopy demo: the source JVM exited with code " + sourceExit
                    + " after the migration: " + source.lastMessage());
            }
            return new Outcome(summary, sourceExit, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        }
    }

    private List<String> sourceArgs() {
        List<String> args = new java.util.ArrayList<>(List.of("source", "--listen", "127.0.0.1:0", "--memory",
            Long.toString(settings.memoryBytes()), "--page-size", Integer.toString(settings.pageSize()), "--vcpus",
            Integer.toString(settings.vcpus()), "--workload", settings.workload(), "--seed",
            Long.toString(settings.seed()), "--timeout", settings.timeout().toMillis() + "ms"));
        args.addAll(settings.modeArgs());
        return args;
    }

    private List<String> destArgs(HostPort address) {
        return List.of("dest", "--connect", address.toString(), "--backend", settings.backend(), "--json",
            "--progress-lines", "--run-after", settings.runAfter().toMillis() + "ms", "--prefetch",
            Integer.toString(settings.prefetchPages()),
            "--timeout", settings.timeout().toMillis() + "ms");
    }

    private boolean onDestStderr(String line, MigrationProgress progress) {
        if (line.startsWith("PROGRESS ")) {
            String[] fields = line.split(" ");
            try {
                progress.onProgress(Long.parseLong(fields[1]), Long.parseLong(fields[2]));
                return true;
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                return echo("dest", line);
            }
        }
        return echo("dest", line);
    }

    private boolean echo(String who, String line) {
        if (settings.verbose()) {
            err.println("[" + who + "] " + line);
            err.flush();
        }
        return false;
    }

    /** The failure to report when the dest JVM failed: the source's, if the source had failed first. */
    private PostcopyException childFailure(ChildJvm source, ChildJvm dest, int destExitCode)
        throws InterruptedException {
        dumpTail(dest);
        if (source.hasFailed()) {
            dumpTail(source);
            return source.failure(ErrorCode.INTERNAL, "the source JVM failed (exit code " + source.exitCode()
                + ") and the migration with it");
        }
        return dest.failure(ErrorCode.INTERNAL, "the dest JVM failed (exit code " + destExitCode + ")");
    }

    /** Prints a child's last log lines (except the last, which the error message quotes) for context. */
    private void dumpTail(ChildJvm child) throws InterruptedException {
        if (!settings.verbose()) {
            List<String> lines = child.tail();
            for (String line : lines.subList(0, Math.max(0, lines.size() - 1))) {
                err.println("  | " + line);
            }
            err.flush();
        }
    }

    /**
     * What to migrate (already validated by the caller).
     *
     * @param memoryBytes guest RAM size
     * @param pageSize    page size in bytes
     * @param vcpus       number of vCPUs
     * @param workload    workload name
     * @param backend     the destination's {@code --backend}
     * @param runAfter    how long the destination runs the VM after the last page
     * @param timeout     the migration's upper bound (each JVM also gets time to start)
     * @param seed        seeds the vCPUs
     * @param verbose     echo the children's logs
     * @param modeArgs    the source's --mode options
     * @param prefetchPages the destination's prefetch around faults (0 = off)
     */
    public record Settings(long memoryBytes, int pageSize, int vcpus, String workload, String backend,
                           Duration runAfter, Duration timeout, long seed, boolean verbose, List<String> modeArgs,
                           int prefetchPages) {
    }

    /**
     * How the demo ended.
     *
     * @param summary        the destination's report
     * @param sourceExitCode the source JVM's exit code (0 if it completed cleanly)
     * @param wallTimeMs     from starting the source JVM to the end
     */
    public record Outcome(MigrationSummary summary, int sourceExitCode, long wallTimeMs) {
    }
}
