package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.uffd.UffdTestSupport.RecordingSource;
import io.postcopy.engine.error.PageOutOfRangeException;
import io.postcopy.engine.nativeio.Mman;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.postcopy.engine.backend.uffd.UffdTestSupport.PAGE_SIZE;
import static io.postcopy.engine.backend.uffd.UffdTestSupport.await;
import static io.postcopy.engine.backend.uffd.UffdTestSupport.installPattern;
import static io.postcopy.engine.backend.uffd.UffdTestSupport.pattern;
import static io.postcopy.engine.backend.uffd.UffdTestSupport.patternPage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UffdBackendTest {
    private static final long PAGES = 64;
    private static final long WAIT_MS = 10_000;
    private static final Executor NEW_THREAD = task -> Thread.ofPlatform().daemon().name("vcpu").start(task);

    private UffdBackend backend;
    private RecordingSource source;

    @BeforeEach
    void setUp() {
        UffdTestSupport.assumeUffd();
        backend = new UffdBackend(UffdTestSupport.context(PAGES, 4));
        source = new RecordingSource();
        backend.engine().attachSource(source);
    }

    @AfterEach
    void tearDown() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void shouldResolveKernelFaultWhenPageInstalledFromAnotherThread() throws Exception {
        GuestAccessor vcpu = backend.vcpuAccessor(0);
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> vcpu.getLong(3 * PAGE_SIZE + 16),
            NEW_THREAD);

        Long requested = source.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(3L, requested, "the handler sent the demand request for the faulting page");
        assertFalse(read.isDone(), "the vCPU is blocked in the kernel until the page is installed");
        assertTrue(installPattern(backend, 3));

        assertEquals(pattern(3, 2, 0), read.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(1, backend.uffdFaultCount());
        assertTrue(backend.engine().isCached(3));
    }

    @Test
    void shouldSendOneRequestWhenTwoVcpusFaultOnSamePage() throws Exception {
        List<CompletableFuture<Long>> reads = new ArrayList<>();
        for (int vcpu = 0; vcpu < 2; vcpu++) {
            GuestAccessor accessor = backend.vcpuAccessor(vcpu);
            int slot = vcpu;
            reads.add(CompletableFuture.supplyAsync(() -> accessor.getLong(5L * PAGE_SIZE + slot * 8L),
                NEW_THREAD));
        }
        assertTrue(await(() -> backend.uffdFaultCount() == 2, WAIT_MS), "both vCPUs faulted");
        assertEquals(1, source.demandCount.get(), "the second fault is coalesced");

        assertTrue(installPattern(backend, 5));
        assertEquals(pattern(5, 0, 0), reads.get(0).get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(pattern(5, 1, 0), reads.get(1).get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(1, source.demandCount.get());
    }

    @Test
    void shouldLetExactlyOneInstallWinWhenInstallsRace() throws Exception {
        int installers = 4;
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger wins = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < installers; t++) {
            int generation = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment content = patternPage(arena, 9, generation);
                    start.await();
                    if (backend.installPage(9, content)) {
                        wins.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        start.countDown();
        for (Thread t : threads) {
            assertTrue(t.join(java.time.Duration.ofMillis(WAIT_MS)));
        }
        assertEquals(1, wins.get());
        long first = backend.vcpuAccessor(0).getLong(9L * PAGE_SIZE);
        long last = backend.vcpuAccessor(0).getLong(10L * PAGE_SIZE - 8);
        int generation = (int) ((first - pattern(9, 0, 0)) / 7_777_777_777L);
        assertEquals(pattern(9, PAGE_SIZE / 8 - 1, generation), last, "one install's content, whole");
        assertFalse(installPattern(backend, 9), "a late duplicate changes nothing");
    }

    @Test
    void shouldInstallZerosWhenZeroPageArrives() throws Exception {
        GuestAccessor vcpu = backend.vcpuAccessor(1);
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> vcpu.getLong(7L * PAGE_SIZE + 64),
            NEW_THREAD);
        assertEquals(7L, source.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS));

        assertTrue(backend.installZeroPage(7));
        assertEquals(0L, read.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertFalse(backend.installZeroPage(7));
        assertFalse(installPattern(backend, 7), "content after a zero page is a duplicate");
        assertEquals(0L, backend.hostAccessor().getLong(7L * PAGE_SIZE + 64));
    }

    @Test
    void shouldWaitInJavaWithoutKernelFaultWhenHostAccessorReadsMissingPage() throws Exception {
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(
            () -> backend.hostAccessor().getLong(11L * PAGE_SIZE + 8), NEW_THREAD);
        assertEquals(11L, source.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(1, source.prefetchCount.get(), "host reads go through the async queue");

        assertTrue(installPattern(backend, 11));
        assertEquals(pattern(11, 1, 0), read.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(0, backend.uffdFaultCount(), "the host accessor never takes a kernel fault");
    }

    @Test
    void shouldZeroFillLocallyWhenGuestRemovedInstalledPage() throws Exception {
        assertTrue(installPattern(backend, 12));
        GuestAccessor vcpu = backend.vcpuAccessor(0);
        assertEquals(pattern(12, 0, 0), vcpu.getLong(12L * PAGE_SIZE));

        Mman.madvise(backend.memory().page(12), Mman.MADV_DONTNEED);

        assertEquals(0L, vcpu.getLong(12L * PAGE_SIZE), "a removed page reads as zero");
        assertEquals(0, source.demandCount.get(), "never fetched from the source");
        assertFalse(installPattern(backend, 12), "late content for a removed page is dropped");
        assertEquals(0L, vcpu.getLong(12L * PAGE_SIZE + 8));
        assertTrue(backend.droppedPageCount() >= 1);
    }

    @Test
    void shouldWakeVcpuWithZerosAndDropLateDataWhenGuestRemovesPageInFlight() throws Exception {
        GuestAccessor vcpu = backend.vcpuAccessor(2);
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> vcpu.getLong(20L * PAGE_SIZE),
            NEW_THREAD);
        assertEquals(20L, source.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS), "request in flight");

        Mman.madvise(backend.memory().page(20), Mman.MADV_DONTNEED);

        assertEquals(0L, read.get(WAIT_MS, TimeUnit.MILLISECONDS), "the blocked vCPU sees the discarded page's zeros");
        assertFalse(installPattern(backend, 20), "the late PAGE_DATA does not resurrect stale content");
        assertEquals(0L, vcpu.getLong(20L * PAGE_SIZE));
        assertEquals(0L, backend.hostAccessor().getLong(20L * PAGE_SIZE + 8));
        assertEquals(1, source.demandCount.get());
    }

    @Test
    void shouldZeroFillUntouchedPageWhenGuestRemovedItBeforeFirstTouch() {
        Mman.madvise(backend.memory().page(30), Mman.MADV_DONTNEED);
        assertFalse(installPattern(backend, 30), "content for a page the guest dropped is dropped");
        assertEquals(0L, backend.hostAccessor().getLong(30L * PAGE_SIZE), "host access zero-fills locally");
        assertEquals(0L, backend.vcpuAccessor(0).getLong(30L * PAGE_SIZE + 8));
        assertEquals(0, source.demandCount.get() + source.prefetchCount.get());
    }

    @Test
    void shouldFetchAgainFromSourceWhenBackendDiscardsStalePage() throws Exception {
        assertTrue(installPattern(backend, 40));
        backend.discard(40);
        assertFalse(backend.engine().isCached(40));

        GuestAccessor vcpu = backend.vcpuAccessor(3);
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> vcpu.getLong(40L * PAGE_SIZE),
            NEW_THREAD);
        assertEquals(40L, source.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS), "fetched again after a discard");
        try (Arena arena = Arena.ofConfined()) {
            assertTrue(backend.installPage(40, patternPage(arena, 40, 1)), "fresh content is accepted");
        }
        assertEquals(pattern(40, 0, 1), read.get(WAIT_MS, TimeUnit.MILLISECONDS));
    }

    @Test
    void shouldCopyRunsAndSkipPresentPagesWhenInstallingBatch() {
        assertTrue(installPattern(backend, 52));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment batch = arena.allocate(8L * PAGE_SIZE, PAGE_SIZE);
            for (int i = 0; i < 8; i++) {
                MemorySegment.copy(patternPage(arena, 50 + i, 0), 0, batch, (long) i * PAGE_SIZE, PAGE_SIZE);
            }
            assertEquals(7, backend.installPages(50, batch, 8));
            assertEquals(0, backend.installPages(50, batch, 8));
        }
        for (long p = 50; p < 58; p++) {
            assertEquals(pattern(p, 511, 0), backend.vcpuAccessor(0).getLong(p * PAGE_SIZE + PAGE_SIZE - 8));
        }
        assertEquals(0, backend.uffdFaultCount());
    }

    @Test
    void shouldCopyAcrossPagesWhenBulkAccessSpansPages() throws Exception {
        assertTrue(installPattern(backend, 60));
        assertTrue(installPattern(backend, 61));
        byte[] heap = new byte[PAGE_SIZE];
        backend.vcpuAccessor(0).read(60L * PAGE_SIZE + PAGE_SIZE / 2, MemorySegment.ofArray(heap), PAGE_SIZE);
        assertEquals(pattern(61, 0, 0),
            MemorySegment.ofArray(heap).get(ValueLayout.JAVA_LONG_UNALIGNED, PAGE_SIZE / 2));

        CompletableFuture<Void> write = CompletableFuture.runAsync(
            () -> backend.hostAccessor().write(62L * PAGE_SIZE - 8, MemorySegment.ofArray(new long[] {1, 2}), 16),
            NEW_THREAD);
        assertEquals(62L, source.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS), "the host accessor waits for 62");
        assertTrue(backend.installZeroPage(62));
        write.get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(1L, backend.vcpuAccessor(0).getLong(62L * PAGE_SIZE - 8));
        assertEquals(2L, backend.vcpuAccessor(0).getLong(62L * PAGE_SIZE));
    }

    @Test
    void shouldRejectBadInputWithTypedErrors() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(PageOutOfRangeException.class, () -> backend.installPage(PAGES, patternPage(arena, 0, 0)));
            assertThrows(PageOutOfRangeException.class, () -> backend.installZeroPage(-1));
            assertThrows(IllegalArgumentException.class, () -> backend.installPage(0, arena.allocate(100)));
            assertThrows(IllegalArgumentException.class, () -> backend.installPages(0, arena.allocate(PAGE_SIZE), 2));
            assertThrows(PageOutOfRangeException.class,
                () -> backend.installPages(PAGES - 1, arena.allocate(2L * PAGE_SIZE), 2));
        }
        assertThrows(PageOutOfRangeException.class, () -> backend.vcpuAccessor(0).getLong(PAGES * PAGE_SIZE));
        assertThrows(PageOutOfRangeException.class, () -> backend.hostAccessor().getInt(-4));
        assertThrows(IndexOutOfBoundsException.class, () -> backend.vcpuAccessor(4));
        assertThrows(PageOutOfRangeException.class, () -> backend.discard(PAGES));
    }

    @Test
    void shouldLeaveNoThreadWhenClosed() {
        backend.close();
        backend.close();
        assertTrue(await(() -> Thread.getAllStackTraces().keySet().stream()
            .noneMatch(t -> t.getName().startsWith("postcopy-uffd-handler")
                || t.getName().equals("postcopy-request-agent")), WAIT_MS), "no handler or agent thread left");
        backend = null;
    }
}
