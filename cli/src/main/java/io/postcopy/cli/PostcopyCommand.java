package io.postcopy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code postcopy} command line: one subcommand per job. */
@Command(name = "postcopy", mixinStandardHelpOptions = true, version = "postcopy 0.1.0",
    description = "Post-copy live migration of simulated VMs between JVMs.",
    subcommands = {SourceCommand.class, DestCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class PostcopyCommand implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
        description = "Print the stack trace of an error, and the logs of the demo's child JVMs as they come.")
    boolean verbose;

    /**
     * Runs the command line and exits with its code: 0 success (PASS), 1 a migration that did not verify (FAIL),
     * 2 bad usage or an error that the message explains, 3 an unexpected internal error.
     *
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    /** The command line with its error handlers; tests call {@code execute} on it with captured out/err. */
    public static CommandLine newCommandLine() {
        CliErrorHandler errors = new CliErrorHandler();
        return new CommandLine(new PostcopyCommand())
            .setExecutionExceptionHandler(errors)
            .setParameterExceptionHandler(errors);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }
}
