package io.postcopy.engine.genid;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.postcopy.engine.genid.WaitResult.Outcome.ALL_ACKNOWLEDGED;
import static io.postcopy.engine.genid.WaitResult.Outcome.CALLER_OUTDATED;
import static io.postcopy.engine.genid.WaitResult.Outcome.TIMED_OUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WaitForWatchersTest {
    private static final long LONG_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);
    private static final long SHORT_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(20);

    private final GenerationCounter counter = new GenerationCounter();
    private final ExecutorService executor = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        executor.shutdownNow();
        assertTrue(executor.awaitTermination(30, TimeUnit.SECONDS));
    }

    @Test
    void shouldReturnAtOnceWhenNoWatcherIsOutdated() throws InterruptedException {
        try (GenerationWatcher caller = counter.openWatcher(); GenerationWatcher _ = counter.openWatcher()) {
            assertEquals(new WaitResult(ALL_ACKNOWLEDGED, 0), counter.waitForWatchers(caller, LONG_TIMEOUT_NS));
        }
    }

    @Test
    void shouldFailFastWhenCallerIsOutdated() throws InterruptedException {
        try (GenerationWatcher caller = counter.openWatcher(); GenerationWatcher _ = counter.openWatcher()) {
            counter.bump();

            assertEquals(new WaitResult(CALLER_OUTDATED, 2), counter.waitForWatchers(caller, LONG_TIMEOUT_NS));
        }
    }

    @Test
    void shouldTimeOutWhenAWatcherNeverAcknowledges() throws InterruptedException {
        try (GenerationWatcher caller = counter.openWatcher(); GenerationWatcher _ = counter.openWatcher()) {
            long generation = counter.bump();
            caller.acknowledge(generation);

            long startNs = System.nanoTime();
            WaitResult result = counter.waitForWatchers(caller, SHORT_TIMEOUT_NS);

            assertEquals(new WaitResult(TIMED_OUT, 1), result);
            assertTrue(System.nanoTime() - startNs >= SHORT_TIMEOUT_NS, "returned before the timeout");
        }
    }

    @Test
    void shouldReturnWhenLastWatcherAcknowledgesWhileWaiting() throws Exception {
        try (GenerationWatcher caller = counter.openWatcher(); GenerationWatcher other = counter.openWatcher()) {
            long generation = counter.bump();
            caller.acknowledge(generation);

            Future<WaitResult> waiting = executor.submit(() -> counter.waitForWatchers(caller, LONG_TIMEOUT_NS));
            awaitBlocked(waiting);
            assertTrue(other.whenReady().isDone());
            other.acknowledge(generation);

            assertEquals(new WaitResult(ALL_ACKNOWLEDGED, 0), waiting.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldFailFastWhenCallerBecomesOutdatedWhileWaiting() throws Exception {
        try (GenerationWatcher caller = counter.openWatcher(); GenerationWatcher _ = counter.openWatcher()) {
            caller.acknowledge(counter.bump());
            Future<WaitResult> waiting = executor.submit(() -> counter.waitForWatchers(caller, LONG_TIMEOUT_NS));
            awaitBlocked(waiting);

            counter.bump();

            assertEquals(new WaitResult(CALLER_OUTDATED, 2), waiting.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldReturnWhenOutdatedWatcherClosesWhileWaiting() throws Exception {
        try (GenerationWatcher caller = counter.openWatcher()) {
            GenerationWatcher other = counter.openWatcher();
            caller.acknowledge(counter.bump());
            Future<WaitResult> waiting = executor.submit(() -> counter.waitForWatchers(caller, LONG_TIMEOUT_NS));
            awaitBlocked(waiting);

            other.close();

            assertEquals(ALL_ACKNOWLEDGED, waiting.get(30, TimeUnit.SECONDS).outcome());
        }
    }

    @Test
    void shouldWakeBlockedReaderWhenGenerationChanges() throws Exception {
        try (GenerationWatcher watcher = counter.openWatcher()) {
            Future<OptionalLong> reading = executor.submit(() -> watcher.readNewGeneration(LONG_TIMEOUT_NS));
            awaitBlocked(reading);

            long generation = counter.bump();

            assertEquals(OptionalLong.of(generation), reading.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldLetWaiterFinishEveryRoundWhenManyWatchersAcknowledgeUnderGc() throws Exception {
        int watcherThreads = 8;
        int rounds = 2_000;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong acknowledgements = new AtomicLong();
        AtomicLong nonMonotonicReads = new AtomicLong();
        CountDownLatch started = new CountDownLatch(watcherThreads);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < watcherThreads; t++) {
            workers.add(executor.submit(() -> {
                try (GenerationWatcher watcher = counter.openWatcher()) {
                    long lastSeen = counter.currentGenerationFromPage();
                    started.countDown();
                    while (!stop.get()) {
                        OptionalLong fresh = watcher.readNewGeneration(TimeUnit.MILLISECONDS.toNanos(50));
                        if (fresh.isEmpty()) {
                            continue;
                        }
                        if (fresh.getAsLong() <= lastSeen) {
                            nonMonotonicReads.incrementAndGet();
                        }
                        lastSeen = fresh.getAsLong();
                        allocateGarbage();
                        watcher.acknowledge(fresh.getAsLong());
                        acknowledgements.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        assertTrue(started.await(30, TimeUnit.SECONDS));

        try (GenerationWatcher caller = counter.openWatcher()) {
            for (int round = 1; round <= rounds; round++) {
                long generation = round % 3 == 0 ? counter.forceUpdate(counter.currentGenerationFromPage() + 2)
                    : counter.bump();
                assertTrue(caller.isReady(), "every bump outdates the caller's own watcher too");
                caller.acknowledge(generation);
                if (round % 250 == 0) {
                    forceGc();
                }

                WaitResult result = counter.waitForWatchers(caller, LONG_TIMEOUT_NS);

                assertEquals(new WaitResult(ALL_ACKNOWLEDGED, 0), result, "round " + round);
                assertEquals(generation, counter.currentGenerationFromPage());
            }
        } finally {
            stop.set(true);
        }
        for (Future<?> worker : workers) {
            worker.get(30, TimeUnit.SECONDS);
        }
        assertEquals((long) watcherThreads * rounds, acknowledgements.get());
        assertEquals(0, nonMonotonicReads.get());
        assertEquals(0, counter.watcherCount());
    }

    /** Polls, with a deadline, until the task's thread parks (it is then waiting on the counter's condition). */
    private void awaitBlocked(Future<?> task) throws InterruptedException, ExecutionException, TimeoutException {
        long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadlineNs) {
            if (task.isDone()) {
                task.get(0, TimeUnit.SECONDS);
                throw new AssertionError("the task finished instead of blocking");
            }
            if (counterHasWaiter()) {
                return;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the task did not block within 30 s");
    }

    private boolean counterHasWaiter() {
        return Thread.getAllStackTraces().entrySet().stream()
            .filter(e -> e.getKey().getState() == Thread.State.TIMED_WAITING)
            .anyMatch(e -> List.of(e.getValue()).stream().anyMatch(frame ->
                frame.getClassName().equals(GenerationCounter.class.getName())
                    && (frame.getMethodName().equals("waitForWatchers")
                    || frame.getMethodName().equals("awaitNewGeneration"))));
    }

    private static void allocateGarbage() {
        byte[][] garbage = new byte[16][];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = new byte[1024];
        }
    }

    private static void forceGc() {
        WeakReference<Object> sentinel = new WeakReference<>(new Object());
        long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sentinel.get() != null && System.nanoTime() < deadlineNs) {
            System.gc();
        }
    }
}
