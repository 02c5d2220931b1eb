package io.postcopy.cli;

/**
 * Makes a child JVM of {@code postcopy demo} exit when the demo's JVM is gone, even if the demo was killed
 * before it could kill its children.
 */
final class ParentWatch {
    private static final int EXIT_CODE = 4;

    private ParentWatch() {
    }

    /** Starts watching this process's parent; returns at once. */
    static void start() {
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
            System.err.println("postcopy: the parent process " + parent.pid() + " exited; stopping");
            Runtime.getRuntime().halt(EXIT_CODE);
        }));
    }
}
