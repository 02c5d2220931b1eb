package io.postcopy.cli.demo;

import io.postcopy.transport.MigrationProgress;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Shows a migration's progress on stderr: a live progress bar (pages, rate, ETA) when stderr is a terminal,
 * otherwise a plain line at each quarter, so logs and CI output stay readable.
 *
 * <p>Thread-safety: {@link #onProgress} and {@link #close} may be called from different threads.
 */
public final class ProgressDisplay implements MigrationProgress, AutoCloseable {
    private static final int QUARTERS = 4;

    private final PrintStream terminal;
    private final PrintWriter plain;
    private ProgressBar bar;
    private int quartersShown;

    private ProgressDisplay(PrintStream terminal, PrintWriter plain) {
        this.terminal = terminal;
        this.plain = plain;
    }

    /**
     * A progress bar on {@code System.err} if it is a terminal, else plain lines on {@code err}.
     *
     * @param err the command's error writer
     */
    public static ProgressDisplay open(PrintWriter err) {
        return isStderrTerminal() ? new ProgressDisplay(System.err, null) : new ProgressDisplay(null, err);
    }

    @Override
    public synchronized void onProgress(long pagesInstalled, long pageCount) {
        if (pageCount <= 0) {
            return;
        }
        if (terminal != null) {
            if (bar == null) {
                bar = new ProgressBarBuilder().setTaskName("migrating").setInitialMax(pageCount)
                    .setUnit(" pages", 1).showSpeed().setUpdateIntervalMillis(100)
                    .setConsumer(new ConsoleProgressBarConsumer(terminal)).build();
            }
            bar.stepTo(pagesInstalled);
            return;
        }
        int quarters = (int) Math.min(QUARTERS, pagesInstalled * QUARTERS / pageCount);
        if (quarters > quartersShown) {
            quartersShown = quarters;
            plain.println("migrating: " + pagesInstalled + " of " + pageCount + " pages present ("
                + quarters * 100 / QUARTERS + "%)");
            plain.flush();
        }
    }

    @Override
    public synchronized void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    /**
     * True if file descriptor 2 is a terminal. Java only tells whether stdin and stdout are ({@code Console}), so
     * this asks Linux where fd 2 points; anywhere else it says no, and the display falls back to plain lines.
     */
    static boolean isStderrTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }
}
