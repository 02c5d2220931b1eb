package io.postcopy.engine.fault;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PageOutOfRangeException;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.port.PageSource;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultEngineTest {
    private static final MemoryGeometry GEOMETRY = new MemoryGeometry(64 * 4096, 4096);

    private static FaultEngine engine(int asyncCapacity) {
        return new FaultEngine(FaultEngineContext.of(GEOMETRY, 4, asyncCapacity));
    }

    @Test
    void shouldRejectOutOfRangeIndexWhenMarkingCached() {
        try (FaultEngine engine = engine(8)) {
            PageOutOfRangeException e = assertThrows(PageOutOfRangeException.class, () -> engine.markCached(64));
            assertEquals(ErrorCode.PAGE_OUT_OF_RANGE, e.code());
            assertTrue(e.getMessage().contains("pageIndex=64 (expected: 0 <= pageIndex < pageCount=64)"));
            assertThrows(PageOutOfRangeException.class, () -> engine.markCached(-1));
        }
    }

    @Test
    void shouldTreatAlreadyCachedPageAsNoOp() {
        try (FaultEngine engine = engine(8)) {
            assertTrue(engine.markCached(5));
            assertFalse(engine.markCached(5));
            assertEquals(1, engine.cachedPageCount());
        }
    }

    @Test
    void shouldStampCompletionWhenLastMissingPageIsMarkedCached() {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(1_000);
        FaultEngineContext context = new FaultEngineContext(GEOMETRY, 4, 8, TimeUnit.SECONDS.toNanos(1),
            new SimpleMeterRegistry(), FaultListener.NONE, clock::get, 0);
        try (FaultEngine engine = new FaultEngine(context)) {
            long[] most = new long[63];
            for (int i = 0; i < most.length; i++) {
                most[i] = i;
            }
            assertEquals(63, engine.markCached(most, most.length));
            assertEquals(0, engine.completedAtNanos(), "one page still missing");
            clock.set(2_000);
            assertTrue(engine.markCached(63));
            assertEquals(2_000, engine.completedAtNanos());

            engine.markMissing(10);
            engine.markMissing(10);
            clock.set(3_000);
            assertFalse(engine.markCached(63), "a duplicate does not complete memory");
            assertEquals(2_000, engine.completedAtNanos(), "still the last completion while page 10 is missing");
            clock.set(4_000);
            assertTrue(engine.markCached(10));
            assertEquals(4_000, engine.completedAtNanos(), "complete again once the discarded page came back");
        }
    }

    @Test
    void shouldRejectWholeBatchWhenOneIndexIsOutOfRange() {
        try (FaultEngine engine = engine(8)) {
            long[] batch = {1, 2, 999, 3};
            assertThrows(PageOutOfRangeException.class, () -> engine.markCached(batch, batch.length));
            assertEquals(0, engine.cachedPageCount(), "nothing of a rejected batch is applied");
            assertEquals(2, engine.markCached(new long[] {1, 2, 2}, 3), "duplicates within a batch count once");
        }
    }

    @Test
    void shouldWakeAsyncWaitersOfInstalledPageAndKeepOthersWaitingWhenOtherPagesArrive() throws Exception {
        try (FaultEngine engine = engine(8)) {
            Thread first = Thread.ofPlatform().start(() -> engine.awaitPageAsync(5));
            Thread second = Thread.ofPlatform().start(() -> engine.awaitPageAsync(5));
            Thread other = Thread.ofPlatform().start(() -> engine.awaitPageAsync(9));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (engine.asyncWaitedPageCount() < 2 || !isWaiting(first) || !isWaiting(second)
                || !isWaiting(other)) {
                assertTrue(System.nanoTime() < deadline, "the three waiters did not start waiting");
                Thread.sleep(1);
            }
            for (long p = 10; p < 40; p++) {
                engine.markCached(p);
            }
            engine.markCached(new long[] {40, 41, 42}, 3);
            assertTrue(first.isAlive() && second.isAlive() && other.isAlive(), "pages 5 and 9 are still missing");

            engine.markCached(new long[] {4, 5, 6}, 3);
            first.join(20_000);
            second.join(20_000);
            assertFalse(first.isAlive() || second.isAlive(), "both waiters of page 5 woke up");
            assertTrue(other.isAlive(), "page 9 is still missing");
            assertEquals(1, engine.asyncWaitedPageCount());

            engine.markCached(9);
            other.join(20_000);
            assertFalse(other.isAlive());
            assertEquals(0, engine.asyncWaitedPageCount(), "nobody waits any more");
        }
    }

    private static boolean isWaiting(Thread thread) {
        Thread.State state = thread.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
    }

    @Test
    void shouldApplyBackPressureWhenAsyncQueueIsFull() {
        try (FaultEngine engine = engine(2)) {
            assertEquals(FaultEngine.AsyncResult.QUEUED, engine.requestAsync(1));
            assertEquals(FaultEngine.AsyncResult.QUEUED, engine.requestAsync(2));
            assertEquals(FaultEngine.AsyncResult.QUEUE_FULL, engine.requestAsync(3));
            assertFalse(engine.faultedBitmap().lvIsSet(3), "a refused request leaves no trace");
            assertEquals(FaultEngine.AsyncResult.ALREADY_REQUESTED, engine.requestAsync(1));
            engine.markCached(4);
            assertEquals(FaultEngine.AsyncResult.ALREADY_CACHED, engine.requestAsync(4));
        }
    }

    @Test
    void shouldDrainAsyncRequestsToSourceInBatches() throws InterruptedException {
        ConcurrentLinkedQueue<Long> requested = new ConcurrentLinkedQueue<>();
        try (FaultEngine engine = engine(16)) {
            engine.attachSource(new PageSource() {
                @Override
                public void requestDemand(long pageIndex) {
                    throw new AssertionError("no demand request expected");
                }

                @Override
                public void requestPrefetch(long[] pageIndexes, int count) {
                    for (int i = 0; i < count; i++) {
                        requested.add(pageIndexes[i]);
                    }
                }
            });
            for (long p = 10; p < 20; p++) {
                engine.requestAsync(p);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (requested.size() < 10 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(10, requested.size());
        }
    }

    @Test
    void shouldReaskOutstandingPagesWhenSourceIsReattached() {
        ConcurrentLinkedQueue<Long> asked = new ConcurrentLinkedQueue<>();
        try (FaultEngine engine = engine(16)) {
            engine.requestAsync(7);
            engine.requestAsync(9);
            engine.markCached(9);
            engine.attachSource(new PageSource() {
                @Override
                public void requestDemand(long pageIndex) {
                    asked.add(pageIndex);
                }

                @Override
                public void requestPrefetch(long[] pageIndexes, int count) {
                    for (int i = 0; i < count; i++) {
                        asked.add(pageIndexes[i]);
                    }
                }
            });
            assertTrue(asked.contains(7L), "requested but missing: asked again");
            assertFalse(asked.contains(9L), "present pages are not asked for");
        }
    }

    @Test
    void shouldAskForFollowingPagesThroughAsyncQueueWhenPrefetchIsOn() throws InterruptedException {
        ConcurrentLinkedQueue<Long> demanded = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> prefetched = new ConcurrentLinkedQueue<>();
        FaultEngine engine = new FaultEngine(FaultEngineContext.of(GEOMETRY, 4, 64).withPrefetchPages(4));
        try (engine) {
            engine.markCached(5);
            engine.attachSource(new PageSource() {
                @Override
                public void requestDemand(long pageIndex) {
                    demanded.add(pageIndex);
                    engine.markCached(pageIndex);
                }

                @Override
                public void requestPrefetch(long[] pageIndexes, int count) {
                    for (int i = 0; i < count; i++) {
                        prefetched.add(pageIndexes[i]);
                    }
                }
            });
            engine.awaitPage(0, 3);
            engine.awaitPage(1, 62);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (prefetched.size() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
        }
        assertEquals(java.util.List.of(3L, 62L), java.util.List.copyOf(demanded));
        assertEquals(java.util.List.of(4L, 6L, 7L, 63L), java.util.List.copyOf(prefetched),
            "the next 4 pages after each fault, without present page 5, and not past the end of memory");
    }

    @Test
    void shouldRejectBadSettingsBeforeStarting() {
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(PostcopyException.class,
            () -> new FaultEngine(FaultEngineContext.of(GEOMETRY, 0, 8))).code());
        assertThrows(PostcopyException.class, () -> new FaultEngine(FaultEngineContext.of(GEOMETRY, 4, 0)));
        assertThrows(PostcopyException.class, () -> FaultEngineContext.of(GEOMETRY, 4, 8).withFaultTimeoutNs(0));
    }

    @Test
    void shouldRejectSlotOutOfRangeWhenVcpuFaults() {
        try (FaultEngine engine = engine(8)) {
            PostcopyException e = assertThrows(PostcopyException.class, () -> engine.awaitPage(4, 1));
            assertTrue(e.getMessage().contains("slot=4"), e.getMessage());
        }
    }

    @Test
    void shouldCountFaultsAndCoalescedFaultsInMicrometer() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        FaultEngine engine = new FaultEngine(FaultEngineContext.of(GEOMETRY, 4, 8).withRegistry(registry));
        try (engine) {
            engine.attachSource(new PageSource() {
                @Override
                public void requestDemand(long pageIndex) {
                    engine.markCached(pageIndex);
                }

                @Override
                public void requestPrefetch(long[] pageIndexes, int count) {
                }
            });
            engine.awaitPage(0, 3);
            engine.awaitPage(1, 3);
            assertEquals(1.0, registry.counter("postcopy.faults").count());
            assertEquals(1.0, registry.counter("postcopy.pages.cached").count());
            assertEquals(1L, registry.get("postcopy.fault.latency").timer().count());
            assertEquals(1L, registry.get("postcopy.vcpu.blocktime").tag("vcpu", "0").timer().count());
        }
    }

    @Test
    void shouldKeepWaitingPastFaultTimeoutWhileDetachedAndAskAgainWhenReattached() throws Exception {
        FaultEngineContext context = FaultEngineContext.of(GEOMETRY, 4, 8)
            .withFaultTimeoutNs(TimeUnit.MILLISECONDS.toNanos(200));
        ConcurrentLinkedQueue<Long> askedAgain = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> demanded = new ConcurrentLinkedQueue<>();
        try (FaultEngine engine = new FaultEngine(context)) {
            engine.attachSource(new PageSource() {
                @Override
                public void requestDemand(long pageIndex) {
                    demanded.add(pageIndex);
                }

                @Override
                public void requestPrefetch(long[] pageIndexes, int count) {
                }
            });
            java.util.concurrent.CompletableFuture<Void> waited = java.util.concurrent.CompletableFuture.runAsync(
                () -> engine.awaitPage(0, 5), r -> Thread.ofPlatform().start(r));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (demanded.isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "the fault asked for its page");
                Thread.onSpinWait();
            }
            engine.detachSource();
            assertTrue(engine.isDetached());
            Thread.sleep(600);
            assertFalse(waited.isDone(), "no fault deadline runs while the source is detached");
            engine.attachSource(new PageSource() {
                @Override
                public void requestDemand(long pageIndex) {
                }

                @Override
                public void requestPrefetch(long[] pageIndexes, int count) {
                }

                @Override
                public void requestAgain(long[] pageIndexes, int count) {
                    for (int i = 0; i < count; i++) {
                        askedAgain.add(pageIndexes[i]);
                    }
                }
            });
            assertEquals(java.util.List.of(5L), java.util.List.copyOf(askedAgain), "the page in flight, again");
            assertFalse(waited.isDone(), "the detached time was added to the deadline");
            engine.markCached(5);
            waited.get(10, TimeUnit.SECONDS);
        }
    }
}
