package io.postcopy.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.postcopy.bench.report.BenchOutput;
import io.postcopy.bench.report.BenchSummary;
import io.postcopy.bench.report.Goals;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code postcopy bench}: runs the benchmark suite, each figure next to its baseline, and writes {@code REPORT.md},
 * PNG charts and {@code summary.json} into {@code --out}; {@code --json} also prints the summary on stdout (logs go
 * to stderr). {@code postcopy bench jmh ...} passes everything after {@code jmh} to JMH's own command line.
 *
 * <p>Exit codes: 0 the suite ran (goals may be missed: the report says which), 1 a migration did not verify or did
 * not finish, 2 bad usage, 3 an unexpected error.
 */
@Command(name = "postcopy bench", mixinStandardHelpOptions = true, version = "postcopy 0.1.0",
    description = {"Runs the benchmark suite and writes REPORT.md, PNG charts and summary.json.",
        "Raw JMH: postcopy bench jmh [JMH options] (for example: postcopy bench jmh -l)."},
    exitCodeOnInvalidInput = 2, exitCodeOnExecutionException = 3)
public final class BenchCommand implements Callable<Integer> {
    /** Where results go unless {@code --out} says otherwise. */
    static final Path DEFAULT_OUT = Path.of("bench-results", "latest");

    @Spec
    private CommandSpec spec;

    @Option(names = "--quick", description = "A shorter suite (under 3 minutes on 2 cores): fewer and smaller"
        + " migrations, no 4 GiB run, shorter JMH iterations.")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for REPORT.md, the charts and"
        + " summary.json (default: ${DEFAULT-VALUE}).")
    Path out = DEFAULT_OUT;

    @Option(names = "--json", description = "Also print summary.json on stdout, as one JSON object.")
    boolean json;

    @Option(names = "--only", split = ",", paramLabel = "SECTION",
        description = "Run only these sections: tcp, faults, hotset, modes, uffd, jmh (default:"
            + " all). Ratios whose"
            + " figures were skipped are reported as not measured.")
    List<String> only;

    @Option(names = "--render", paramLabel = "SUMMARY", description = "Measure nothing: draw REPORT.md and the"
        + " charts (and rewrite summary.json with its goals graded again) from an existing summary.json.")
    Path render;

    /**
     * Runs the command and exits with its code; {@code jmh ...} runs JMH's main instead.
     *
     * @param args command-line arguments
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }

    /** The configuration the options ask for. */
    BenchConfig config() {
        BenchConfig config = quick ? BenchConfig.quick() : BenchConfig.full();
        if (only != null && !only.isEmpty()) {
            Set<String> sections = new LinkedHashSet<>();
            for (String section : only) {
                String name = section.trim();
                if (!BenchConfig.SECTIONS.contains(name)) {
                    throw new ParameterException(spec.commandLine(), "--only: unknown section '" + section
                        + "' (expected: " + String.join(", ", BenchConfig.SECTIONS) + ")");
                }
                sections.add(name);
            }
            config = config.withSections(sections);
        }
        return config;
    }

    /** Checks the options before anything runs. */
    void validate() {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new ParameterException(spec.commandLine(), "--out " + out + " is a file (expected: a directory,"
                + " created if missing)");
        }
        Path parent = out.toAbsolutePath().getParent();
        while (parent != null && !Files.exists(parent)) {
            parent = parent.getParent();
        }
        if (parent != null && !Files.isWritable(parent)) {
            throw new ParameterException(spec.commandLine(), "--out " + out + ": " + parent + " is not writable");
        }
        if (render != null && !Files.isRegularFile(render)) {
            throw new ParameterException(spec.commandLine(), "--render " + render + ": no such file (expected: a"
                + " summary.json written by postcopy bench)");
        }
    }

    @Override
    public Integer call() throws Exception {
        validate();
        BenchSuite suite = null;
        BenchSummary summary;
        if (render != null) {
            summary = new ObjectMapper().readValue(render.toFile(), BenchSummary.class);
            summary = summary.withGoals(Goals.evaluate(summary));
        } else {
            suite = new BenchSuite(config(), commandLine());
            summary = suite.run();
        }
        List<String> charts = BenchOutput.write(summary, out);
        PrintWriter err = spec.commandLine().getErr();
        err.println("postcopy bench: wrote " + out.resolve(BenchOutput.REPORT) + ", " + out.resolve(BenchOutput.SUMMARY)
            + " and " + charts.size() + " charts");
        summary.goals().forEach(goal -> err.println("  " + goal.metric() + " = "
            + io.postcopy.bench.report.Report.number(goal.value()) + " (goal " + goal.goal() + "): " + goal.status()));
        err.flush();
        if (json) {
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.println(BenchOutput.toJson(summary));
            stdout.flush();
        }
        return suite != null && suite.anyMigrationFailed() ? 1 : 0;
    }

    private String commandLine() {
        StringBuilder text = new StringBuilder("./postcopy bench");
        if (quick) {
            text.append(" --quick");
        }
        if (!out.equals(DEFAULT_OUT)) {
            text.append(" --out ").append(out);
        }
        if (json) {
            text.append(" --json");
        }
        if (only != null && !only.isEmpty()) {
            text.append(" --only ").append(String.join(",", only));
        }
        return text.toString();
    }
}
