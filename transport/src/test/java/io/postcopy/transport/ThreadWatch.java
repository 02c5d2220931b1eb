package io.postcopy.transport;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** Test helper: threads that were started during a test and are still alive after it. */
final class ThreadWatch {
    /** JVM and library housekeeping threads that live as long as the JVM, started on first use. */
    private static final List<String> LIFELONG = List.of("ForkJoinPool", "globalEventExecutor", "ObjectCleaner",
        "process reaper", "Attach Listener", "Common-Cleaner", "junit-");

    private final Set<Long> before;

    private ThreadWatch(Set<Long> before) {
        this.before = before;
    }

    static ThreadWatch start() {
        return new ThreadWatch(Thread.getAllStackTraces().keySet().stream().map(Thread::threadId)
            .collect(Collectors.toSet()));
    }

    /** Waits up to 15 s for every thread started since {@link #start()} to end; fails naming those that did not. */
    void assertNoNewThreadsRemain() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        List<String> alive = List.of();
        while (System.nanoTime() < deadline) {
            alive = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !before.contains(t.threadId()))
                .map(Thread::getName)
                .filter(name -> LIFELONG.stream().noneMatch(name::startsWith))
                .sorted().toList();
            if (alive.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("threads left behind: " + alive);
    }
}
