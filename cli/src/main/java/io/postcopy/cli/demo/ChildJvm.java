package io.postcopy.cli.demo;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A {@code postcopy} subcommand running in its own JVM (same java, same class path), with its stdout read line
 * by line and the tail of its stderr kept for error messages.
 *
 * <p>{@link #close()} always leaves the process (and anything it started) dead; a shutdown hook does the same if
 * this JVM exits first. Every wait takes a deadline. Used by one thread; the readers are daemon threads.
 */
final class ChildJvm implements AutoCloseable {
    private static final String EOF = new String("<eof>");
    private static final int TAIL_LINES = 20;
    private static final long GRACE_MS = 2000;

    private final String name;
    private final Process process;
    private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private final Thread stdoutReader;
    private final Thread stderrReader;
    private final Thread killOnExit;

    private ChildJvm(String name, Process process, Predicate<String> stderrHandler) {
        this.name = name;
        this.process = process;
        this.killOnExit = new Thread(this::kill, name + "-killer");
        Runtime.getRuntime().addShutdownHook(killOnExit);
        this.stdoutReader = reader(name + "-stdout", process.getInputStream(), stdout::add,
            () -> stdout.add(EOF));
        this.stderrReader = reader(name + "-stderr", process.getErrorStream(), line -> {
            if (!stderrHandler.test(line)) {
                synchronized (stderrTail) {
                    if (stderrTail.size() == TAIL_LINES) {
                        stderrTail.removeFirst();
                    }
                    stderrTail.addLast(line);
                }
            }
        }, () -> { });
    }

    /**
     * Starts {@code postcopy <args>} in a new JVM.
     *
     * @param name          "source" or "dest", for messages
     * @param args          the subcommand and its options
     * @param stderrHandler sees every stderr line first; a line it returns false for is kept for {@link #tail()}
     */
    static ChildJvm start(String name, List<String> args, Predicate<String> stderrHandler) {
        List<String> command = javaCommand(args);
        try {
            return new ChildJvm(name, new ProcessBuilder(command).start(), stderrHandler);
        } catch (IOException e) {
            throw new PostcopyException(ErrorCode.INTERNAL, "cannot start the " + name + " JVM (" + command.get(0)
                + "): " + e.getMessage(), e);
        }
    }

    /** The java command line that runs {@code postcopy <args>} like this JVM runs. */
    static List<String> javaCommand(List<String> args) {
        String java = ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
            // Guest RAM is mapped outside the heap; the heap holds bitmaps, digests and Netty's buffers.
            "-Xmx256m",
            // Two small JVMs share two cores: one GC thread each instead of G1's pool.
            "-XX:+UseSerialGC",
            "-cp", System.getProperty("java.class.path"), "io.postcopy.cli.PostcopyCommand"));
        command.addAll(args);
        command.add("--die-with-parent");
        return command;
    }

    private static Thread reader(String threadName, InputStream stream, Consumer<String> sink, Runnable atEnd) {
        return Thread.ofPlatform().name(threadName).daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    sink.accept(line);
                }
            } catch (IOException | UncheckedIOException e) {
                // The process died or was killed; what was read is all there is.
            } finally {
                atEnd.run();
            }
        });
    }

    /**
     * Waits for the first stdout line that {@code matching} accepts.
     *
     * @throws PostcopyException {@code TIMEOUT} after the deadline, {@code PEER_GONE} if the child closed stdout
     */
    String awaitStdoutLine(Predicate<String> matching, long deadlineNs, String what) throws InterruptedException {
        while (true) {
            String line = stdout.poll(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw failure(ErrorCode.TIMEOUT, "the " + name + " JVM did not print " + what + " in time");
            }
            if (line == EOF) {
                throw failure(ErrorCode.PEER_GONE, "the " + name + " JVM exited before it printed " + what);
            }
            if (matching.test(line)) {
                return line;
            }
        }
    }

    /**
     * Waits for the process to exit and returns its exit code.
     *
     * @throws PostcopyException {@code TIMEOUT} after the deadline (the process is then killed by {@link #close})
     */
    int awaitExit(long deadlineNs) throws InterruptedException {
        if (!process.waitFor(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            throw failure(ErrorCode.TIMEOUT, "the " + name + " JVM did not finish in time");
        }
        return process.exitValue();
    }

    /** Every stdout line not yet consumed, after the process exited and its output was read to the end. */
    String remainingStdout() throws InterruptedException {
        stdoutReader.join(GRACE_MS);
        StringBuilder text = new StringBuilder();
        for (String line = stdout.poll(); line != null && line != EOF; line = stdout.poll()) {
            text.append(line).append('\n');
        }
        return text.toString();
    }

    /** The last stderr lines the stderr handler did not take, oldest first. */
    List<String> tail() throws InterruptedException {
        if (!process.isAlive()) {
            stderrReader.join(GRACE_MS);
        }
        synchronized (stderrTail) {
            return List.copyOf(stderrTail);
        }
    }

    /** An exception naming this child, with its last stderr line as the likely cause. */
    PostcopyException failure(ErrorCode code, String message) throws InterruptedException {
        String last = lastMessage();
        return new PostcopyException(code, message + (last.isEmpty() ? "" : "; its last message: " + last));
    }

    /** The last stderr line the handler did not take, or "". */
    String lastMessage() throws InterruptedException {
        List<String> lines = tail();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1).strip();
    }

    /** True if the process has exited with a code other than 0. */
    boolean hasFailed() {
        return !process.isAlive() && process.exitValue() != 0;
    }

    /** The exit code; only valid once the process has exited. */
    int exitCode() {
        return process.exitValue();
    }

    private void kill() {
        if (!process.isAlive()) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroy();
        try {
            if (!process.waitFor(GRACE_MS, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(GRACE_MS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook is running or has run.
        }
    }
}
