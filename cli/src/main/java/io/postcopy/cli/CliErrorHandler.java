package io.postcopy.cli;

import io.postcopy.engine.error.PostcopyException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.util.Arrays;

/**
 * Turns every error into one line on stderr that says what to do, and an exit code: 2 for bad usage and for
 * {@link PostcopyException}s (their message explains them), 3 for anything unexpected. The stack trace is
 * printed only with {@code --verbose}.
 */
final class CliErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {
    private static final String VERBOSE = "--verbose";

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        if (Arrays.asList(args).contains(VERBOSE)) {
            ex.printStackTrace(err);
        }
        String name = cmd.getCommandSpec().qualifiedName();
        err.println(name + ": " + decapitalize(ex.getMessage()) + "; see '" + name + " --help'");
        err.flush();
        return ExitCodes.USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        if (isVerbose(parseResult)) {
            ex.printStackTrace(err);
        }
        String name = cmd.getCommandSpec().qualifiedName();
        int exitCode;
        if (ex instanceof PostcopyException e) {
            err.println(name + ": " + e.getMessage() + hint(e, name));
            exitCode = ExitCodes.USAGE;
        } else if (ex instanceof InterruptedException) {
            err.println(name + ": interrupted");
            exitCode = ExitCodes.USAGE;
        } else {
            err.println(name + ": unexpected error: " + ex
                + (isVerbose(parseResult) ? "" : " (run again with --verbose for the stack trace, and report it)"));
            exitCode = ExitCodes.INTERNAL;
        }
        err.flush();
        return exitCode;
    }

    /** What to add to the message of {@code e} for command {@code name}: a pointer to the option that helps. */
    static String hint(PostcopyException e, String name) {
        String message = e.getMessage();
        return switch (e.code()) {
            case INVALID_ARGUMENT -> message.contains("--") ? "" : "; see '" + name + " --help'";
            // A silent peer (keepalive) is not a slow machine: --timeout would not change it.
            case TIMEOUT -> message.contains("--timeout") || message.contains("keepalive") ? ""
                : " (raise --timeout if the machine is just slow)";
            default -> "";
        };
    }

    private static boolean isVerbose(ParseResult parseResult) {
        for (ParseResult level = parseResult; level != null; level = level.subcommand()) {
            if (level.hasMatchedOption(VERBOSE)) {
                return true;
            }
        }
        return false;
    }

    private static String decapitalize(String message) {
        if (message == null || message.isEmpty()) {
            return "invalid command line";
        }
        return Character.toLowerCase(message.charAt(0)) + message.substring(1);
    }
}
