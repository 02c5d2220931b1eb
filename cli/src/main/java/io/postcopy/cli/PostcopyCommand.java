package io.postcopy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code postcopy} command line: one subcommand per job. */
@Command(name = "postcopy", mixinStandardHelpOptions = true, version = "postcopy 0.1.0",
    description = "Post-copy live migration of simulated VMs between JVMs.",
    subcommands = {CommandLine.HelpCommand.class})
public final class PostcopyCommand implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /**
     * Runs the command line and exits with its code.
     *
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new PostcopyCommand()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }
}
