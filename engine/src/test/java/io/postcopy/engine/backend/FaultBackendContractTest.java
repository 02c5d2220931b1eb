package io.postcopy.engine.backend;

import io.postcopy.engine.error.PageFaultTimeoutException;
import io.postcopy.engine.error.PageOutOfRangeException;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.MemoryGeometry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract every {@link FaultBackend} passes: the software backend and the userfaultfd backend run this same
 * suite through one subclass each. Subclasses supply the backend; they may skip (with the probe's reason) where
 * their mechanism is unavailable.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class FaultBackendContractTest {
    /** Pages of the default (4 KiB) test memory. */
    protected static final int PAGES = 256;
    /** vCPUs (sync slots) of the default test memory. */
    protected static final int VCPUS = 20;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    /**
     * Creates the backend under test, with every page missing.
     *
     * @param context the engine settings to use
     */
    protected abstract FaultBackend createBackend(FaultEngineContext context);

    /**
     * The geometry every test uses: by default 4 KiB pages, {@link #PAGES} of them. A subclass may return another
     * (2 MiB pages); the tests touch pages up to index 77, so it needs at least 78 pages.
     */
    protected MemoryGeometry geometry() {
        return smallGeometry();
    }

    /** The default geometry: {@link #PAGES} pages of 4 KiB. */
    protected static MemoryGeometry smallGeometry() {
        return new MemoryGeometry((long) PAGES * MemoryGeometry.SMALL_PAGE_SIZE, MemoryGeometry.SMALL_PAGE_SIZE);
    }

    private int pages() {
        return Math.toIntExact(geometry().pageCount());
    }

    private FaultBackend backend(FaultEngineContext context) {
        FaultBackend backend = createBackend(context);
        toClose.add(backend);
        return backend;
    }

    private FaultBackend backend() {
        return backend(FaultEngineContext.of(geometry(), VCPUS, 1024).withFaultTimeoutNs(TimeUnit.SECONDS.toNanos(20)));
    }

    private RecordingPageSource attach(FaultBackend backend, RecordingPageSource.Mode mode) {
        RecordingPageSource source = new RecordingPageSource(backend, mode);
        toClose.add(source);
        backend.engine().attachSource(source);
        return source;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    @Test
    void shouldReadInstalledContentWithoutRequestWhenPageIsPresent() throws Exception {
        FaultBackend backend = backend();
        RecordingPageSource source = attach(backend, RecordingPageSource.Mode.NEVER);
        try (Arena arena = Arena.ofConfined()) {
            assertTrue(backend.installPage(3, TestPages.page(arena, geometry(), 3)));
        }
        long offset = geometry().pageOffset(3) + 8 * 5;
        assertEquals(TestPages.expectedWord(3, 5), onThread(() -> backend.vcpuAccessor(0).getLong(offset)));
        assertEquals(0, source.requestsFor(3));
        assertTrue(backend.engine().isCached(3));
    }

    @Test
    void shouldFetchMissingPageWhenVcpuTouchesIt() throws Exception {
        FaultBackend backend = backend();
        RecordingPageSource source = attach(backend, RecordingPageSource.Mode.RESPONDER_THREAD);
        long offset = geometry().pageOffset(7) + 8 * 9;
        assertEquals(TestPages.expectedWord(7, 9), onThread(() -> backend.vcpuAccessor(1).getLong(offset)));
        assertEquals(1, source.requestsFor(7));
        assertEquals(1, source.distinctPagesRequested());
    }

    @Test
    void shouldFetchPageBeforeWritingWhenVcpuWritesMissingPage() throws Exception {
        FaultBackend backend = backend();
        attach(backend, RecordingPageSource.Mode.RESPONDER_THREAD);
        long offset = geometry().pageOffset(11);
        onThread(() -> {
            backend.vcpuAccessor(0).putLong(offset, 42L);
            return null;
        });
        assertEquals(42L, backend.hostAccessor().getLong(offset));
        assertEquals(TestPages.expectedWord(11, 1), backend.hostAccessor().getLong(offset + 8),
            "the rest of the page comes from the source");
    }

    @Test
    void shouldRequestOnceAndWakeEveryWaiterWhenManyVcpusFaultOnSamePage() throws Exception {
        FaultBackend backend = backend();
        RecordingPageSource source = attach(backend, RecordingPageSource.Mode.RESPONDER_THREAD);
        long offset = geometry().pageOffset(42) + 16;
        CyclicBarrier start = new CyclicBarrier(VCPUS);
        ExecutorService pool = Executors.newFixedThreadPool(VCPUS);
        try {
            List<Future<Long>> reads = new ArrayList<>();
            for (int vcpu = 0; vcpu < VCPUS; vcpu++) {
                int id = vcpu;
                reads.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return backend.vcpuAccessor(id).getLong(offset);
                }));
            }
            for (Future<Long> read : reads) {
                assertEquals(TestPages.expectedWord(42, 2), read.get(20, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, source.requestsFor(42), "two vCPUs faulting the same page cause exactly one fetch");
    }

    @Test
    void shouldKeepFirstContentWhenPageIsInstalledTwice() {
        FaultBackend backend = backend();
        try (Arena arena = Arena.ofConfined()) {
            assertTrue(backend.installPage(5, TestPages.page(arena, geometry(), 5)));
            assertFalse(backend.installPage(5, TestPages.page(arena, geometry(), 99)), "second install is a no-op");
            assertFalse(backend.installZeroPage(5), "a zero install of a present page is a no-op too");
        }
        assertEquals(TestPages.expectedWord(5, 0), backend.hostAccessor().getLong(geometry().pageOffset(5)));
    }

    @Test
    void shouldInstallZerosWhenZeroPageArrives() {
        FaultBackend backend = backend();
        assertTrue(backend.installZeroPage(9));
        byte[] expected = new byte[geometry().pageSize()];
        byte[] actual = new byte[geometry().pageSize()];
        backend.hostAccessor().read(geometry().pageOffset(9), MemorySegment.ofArray(actual), actual.length);
        assertArrayEquals(expected, actual);
    }

    @Test
    void shouldRejectOutOfRangePageIndexWhenInstalling() {
        FaultBackend backend = backend();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment content = TestPages.page(arena, geometry(), 0);
            assertThrows(PageOutOfRangeException.class, () -> backend.installPage(pages(), content));
            assertThrows(PageOutOfRangeException.class, () -> backend.installPage(-1, content));
            assertThrows(PageOutOfRangeException.class, () -> backend.installZeroPage(Long.MAX_VALUE));
        }
    }

    @Test
    void shouldRejectOutOfRangeOffsetWhenAccessing() {
        FaultBackend backend = backend();
        long end = geometry().lengthInBytes();
        assertThrows(PageOutOfRangeException.class, () -> backend.hostAccessor().getLong(end));
        assertThrows(PageOutOfRangeException.class, () -> backend.hostAccessor().getLong(-8));
        assertThrows(PageOutOfRangeException.class,
            () -> backend.hostAccessor().read(end - 8, MemorySegment.ofArray(new byte[16]), 16));
    }

    @Test
    void shouldRejectContentOfWrongSize() {
        FaultBackend backend = backend();
        MemorySegment wrongSize = MemorySegment.ofArray(new byte[100]);
        assertThrows(IllegalArgumentException.class, () -> backend.installPage(1, wrongSize));
        assertFalse(backend.engine().isCached(1));
    }

    @Test
    void shouldTimeOutWhenPageNeverArrives() throws Exception {
        FaultBackend backend = backend(FaultEngineContext.of(geometry(), VCPUS, 16)
            .withFaultTimeoutNs(TimeUnit.MILLISECONDS.toNanos(200)));
        attach(backend, RecordingPageSource.Mode.NEVER);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Long> read = pool.submit(() -> backend.hostAccessor().getLong(geometry().pageOffset(13)));
            Exception failure = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> read.get(10, TimeUnit.SECONDS));
            assertTrue(failure.getCause() instanceof PageFaultTimeoutException, failure.toString());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldServeHostReaderThroughAsyncQueueWhenPageIsMissing() throws Exception {
        FaultBackend backend = backend();
        RecordingPageSource source = attach(backend, RecordingPageSource.Mode.RESPONDER_THREAD);
        long offset = geometry().pageOffset(77) + 24;
        assertEquals(TestPages.expectedWord(77, 3), onThread(() -> backend.hostAccessor().getLong(offset)));
        assertEquals(1, source.prefetchRequests());
        assertEquals(0, source.demandRequests());
    }

    @Test
    void shouldFaultEveryPageWhenBulkReadSpansPages() throws Exception {
        FaultBackend backend = backend();
        attach(backend, RecordingPageSource.Mode.RESPONDER_THREAD);
        int pageSize = geometry().pageSize();
        long offset = geometry().pageOffset(20) + pageSize - 16;
        byte[] buffer = new byte[pageSize + 32];
        onThread(() -> {
            backend.vcpuAccessor(2).read(offset, MemorySegment.ofArray(buffer), buffer.length);
            return null;
        });
        MemorySegment read = MemorySegment.ofArray(buffer);
        assertEquals(TestPages.expectedWord(20, pageSize / 8 - 2), read.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        assertEquals(TestPages.expectedWord(21, 0), read.get(ValueLayout.JAVA_LONG_UNALIGNED, 16));
        assertEquals(TestPages.expectedWord(22, 0), read.get(ValueLayout.JAVA_LONG_UNALIGNED, 16 + pageSize));
    }

    @Test
    void shouldFetchDiscardedRunFromSourceAgainWhenTouched() throws Exception {
        FaultBackend backend = backend();
        RecordingPageSource source = attach(backend, RecordingPageSource.Mode.RESPONDER_THREAD);
        try (Arena arena = Arena.ofConfined()) {
            for (long p = 10; p < 20; p++) {
                MemorySegment stale = TestPages.page(arena, geometry(), 1000 + p);
                assertTrue(backend.installPage(p, stale));
            }
        }
        backend.discard(10, 10);
        for (long p = 10; p < 20; p++) {
            assertFalse(backend.engine().isCached(p), "page " + p + " is missing again");
        }
        long offset = geometry().pageOffset(15) + 8;
        assertEquals(TestPages.expectedWord(15, 1), onThread(() -> backend.vcpuAccessor(0).getLong(offset)),
            "a discarded page is fetched from the source, not zero-filled and not the stale content");
        assertEquals(1, source.requestsFor(15));
        assertThrows(PageOutOfRangeException.class, () -> backend.discard(geometry().pageCount() - 1, 2));
    }

    @Test
    void shouldReplacePresentPageInPlaceAndLeaveMissingPageAloneWhenOverwriting() {
        FaultBackend backend = backend();
        try (Arena arena = Arena.ofConfined()) {
            assertTrue(backend.installPage(4, TestPages.page(arena, geometry(), 4)));
            assertTrue(backend.overwritePage(4, TestPages.page(arena, geometry(), 40)), "a present page is replaced");
            assertFalse(backend.overwritePage(5, TestPages.page(arena, geometry(), 50)), "a missing page is not");
            assertFalse(backend.engine().isCached(5));
            MemorySegment wrongSize = MemorySegment.ofArray(new byte[100]);
            assertThrows(IllegalArgumentException.class, () -> backend.overwritePage(4, wrongSize));
        }
        assertEquals(TestPages.expectedWord(40, 7), backend.hostAccessor().getLong(geometry().pageOffset(4) + 56));
    }

    @Test
    void shouldShowObserverTheInstalledContent() {
        FaultBackend backend = backend();
        ConcurrentLinkedQueue<Long> observed = new ConcurrentLinkedQueue<>();
        backend.setInstallObserver((pageIndex, content) -> {
            assertEquals(TestPages.expectedWord(pageIndex, 0), content.get(ValueLayout.JAVA_LONG, 0));
            observed.add(pageIndex);
        });
        try (Arena arena = Arena.ofConfined()) {
            backend.installPage(30, TestPages.page(arena, geometry(), 30));
            backend.installPage(30, TestPages.page(arena, geometry(), 30));
        }
        assertEquals(List.of(30L), List.copyOf(observed), "exactly one install is observed");
    }

    @Test
    void shouldMarkPageCachedExactlyOnceWhenInstallsRace() throws Exception {
        FaultBackend backend = backend();
        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    int wins = 0;
                    try (Arena arena = Arena.ofConfined()) {
                        start.await(10, TimeUnit.SECONDS);
                        for (long p = 0; p < pages(); p++) {
                            wins += backend.installPage(p, TestPages.page(arena, geometry(), p)) ? 1 : 0;
                        }
                    }
                    return wins;
                }));
            }
            int total = 0;
            for (Future<Integer> result : results) {
                total += result.get(30, TimeUnit.SECONDS);
            }
            assertEquals(pages(), total, "each page is installed by exactly one thread");
        } finally {
            pool.shutdownNow();
        }
        assertTrue(backend.engine().isComplete());
    }

    /**
     * Stress: many vCPU threads fault on overlapping pages in random order while another thread forces GCs. No
     * wake-up may be lost (every read returns within the deadline), every page is fetched exactly once, and every
     * value read is the source's.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldFetchEachPageOnceWithoutLostWakeupsWhenSixteenThreadsFaultDuringGc() throws Exception {
        int threads = 16;
        FaultBackend backend = backend(FaultEngineContext.of(geometry(), threads, 1024)
            .withFaultTimeoutNs(TimeUnit.SECONDS.toNanos(30)));
        RecordingPageSource source = attach(backend, RecordingPageSource.Mode.RESPONDER_THREAD);
        AtomicBoolean stop = new AtomicBoolean();
        Thread gc = Thread.ofPlatform().name("test-gc-forcer").daemon().start(() -> {
            while (!stop.get()) {
                System.gc();
                Thread.onSpinWait();
            }
        });
        CountDownLatch ready = new CountDownLatch(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int vcpu = t;
                workers.add(pool.submit(() -> {
                    GuestAccessor accessor = backend.vcpuAccessor(vcpu);
                    ready.countDown();
                    ready.await(10, TimeUnit.SECONDS);
                    int checked = 0;
                    for (int i = 0; i < pages() * 2; i++) {
                        long page = ThreadLocalRandom.current().nextLong(pages());
                        long word = ThreadLocalRandom.current().nextLong(geometry().pageSize() / 8);
                        long value = accessor.getLong(geometry().pageOffset(page) + word * 8);
                        assertEquals(TestPages.expectedWord(page, word), value);
                        checked++;
                    }
                    return checked;
                }));
            }
            for (Future<Integer> worker : workers) {
                assertEquals(pages() * 2, worker.get(60, TimeUnit.SECONDS));
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
            gc.join(10_000);
        }
        for (long p = 0; p < pages(); p++) {
            if (backend.engine().isCached(p)) {
                assertEquals(1, source.requestsFor(p), "page " + p + " fetched more than once");
            }
        }
    }

    @Test
    void shouldInstallEachMissingPageOnceAndCountItWhenBatchSpansPresentPage() {
        FaultBackend backend = backend();
        ConcurrentLinkedQueue<Long> observed = new ConcurrentLinkedQueue<>();
        long pageSize = geometry().pageSize();
        try (Arena arena = Arena.ofConfined()) {
            assertTrue(backend.installPage(62, TestPages.page(arena, geometry(), 62)));
            backend.setInstallObserver((pageIndex, content) -> {
                assertEquals(TestPages.expectedWord(pageIndex, pageSize / 8 - 1),
                    content.get(ValueLayout.JAVA_LONG, pageSize - 8));
                observed.add(pageIndex);
            });
            MemorySegment batch = arena.allocate(5 * pageSize, 4096);
            for (int i = 0; i < 5; i++) {
                TestPages.fill(batch.asSlice(i * pageSize, pageSize), 60 + i);
            }
            assertEquals(4, backend.installPages(60, batch, 5), "page 62 was present");
            assertEquals(0, backend.installPages(60, batch, 5), "all present now");
        }
        assertEquals(List.of(60L, 61L, 63L, 64L), List.copyOf(observed), "each installed page observed once");
        for (long p = 60; p < 65; p++) {
            assertTrue(backend.engine().isCached(p));
            assertEquals(TestPages.expectedWord(p, pageSize / 8 - 1),
                backend.hostAccessor().getLong(geometry().pageOffset(p) + pageSize - 8));
        }
    }

    @Test
    void shouldInstallEachMissingZeroPageOnceWhenZeroRunSpansPresentPage() {
        FaultBackend backend = backend();
        ConcurrentLinkedQueue<Long> observed = new ConcurrentLinkedQueue<>();
        long pageSize = geometry().pageSize();
        try (Arena arena = Arena.ofConfined()) {
            assertTrue(backend.installPage(42, TestPages.page(arena, geometry(), 42)));
        }
        backend.setInstallObserver((pageIndex, content) -> {
            assertEquals(-1, content.asSlice(0, pageSize).mismatch(MemorySegment.ofArray(new byte[(int) pageSize])),
                "page " + pageIndex + " observed with zeros");
            observed.add(pageIndex);
        });
        assertEquals(4, backend.installZeroPages(40, 5), "page 42 was present");
        assertEquals(0, backend.installZeroPages(40, 5), "all present now");
        assertEquals(List.of(40L, 41L, 43L, 44L), List.copyOf(observed), "each installed page observed once");
        for (long p = 40; p < 45; p++) {
            assertTrue(backend.engine().isCached(p));
            long expectedLastWord = p == 42 ? TestPages.expectedWord(42, pageSize / 8 - 1) : 0;
            assertEquals(expectedLastWord, backend.hostAccessor().getLong(geometry().pageOffset(p) + pageSize - 8));
        }
        assertFalse(backend.engine().isCached(45), "the run ends at page 44");
        assertThrows(PageOutOfRangeException.class, () -> backend.installZeroPages(pages() - 2, 3));
        assertFalse(backend.engine().isCached(pages() - 2), "a run reaching past the end installs nothing");
        assertThrows(IllegalArgumentException.class, () -> backend.installZeroPages(50, 0));
    }

    private static <T> T onThread(java.util.concurrent.Callable<T> task) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            return pool.submit(task).get(20, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }
}
