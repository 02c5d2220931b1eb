package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.backend.TestPages;
import io.postcopy.engine.backend.uffd.UffdTestSupport.RecordingSource;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.nativeio.Mman;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static io.postcopy.engine.backend.uffd.UffdTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 2 MiB logical pages under userfaultfd: faults on base pages, and partial guest discards per 4 KiB base page. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UffdHugePageTest {
    private static final MemoryGeometry HUGE = new MemoryGeometry(16L * MemoryGeometry.HUGE_PAGE_SIZE,
        MemoryGeometry.HUGE_PAGE_SIZE);
    private static final long BASE = MemoryGeometry.SMALL_PAGE_SIZE;
    private static final long WAIT_MS = 10_000;
    private static final Executor NEW_THREAD = task -> Thread.ofPlatform().daemon().name("vcpu").start(task);

    private UffdBackend backend;
    private RecordingSource source;

    @BeforeEach
    void setUp() {
        UffdTestSupport.assumeUffd();
        backend = new UffdBackend(FaultEngineContext.of(HUGE, 4, 64).withFaultTimeoutNs(TimeUnit.SECONDS.toNanos(20)));
        source = new RecordingSource();
        backend.engine().attachSource(source);
    }

    @AfterEach
    void tearDown() {
        if (backend != null) {
            backend.close();
        }
    }

    private boolean install(long pageIndex) {
        try (Arena arena = Arena.ofConfined()) {
            return backend.installPage(pageIndex, TestPages.page(arena, HUGE, pageIndex));
        }
    }

    /** Reads on a vCPU thread with a deadline: a lost wake-up fails the test instead of blocking it in the kernel. */
    private long vcpuRead(int vcpu, long offset) throws Exception {
        return CompletableFuture.supplyAsync(() -> backend.vcpuAccessor(vcpu).getLong(offset), NEW_THREAD)
            .get(WAIT_MS, TimeUnit.MILLISECONDS);
    }

    private long word(long pageIndex, long byteInPage) {
        return TestPages.expectedWord(pageIndex, byteInPage / 8);
    }

    @Test
    void shouldRequestWholePageOnceWhenVcpusFaultOnDifferentBasePages() throws Exception {
        long page = 3;
        CompletableFuture<Long> low = CompletableFuture.supplyAsync(
            () -> backend.vcpuAccessor(0).getLong(HUGE.pageOffset(page) + 8), NEW_THREAD);
        CompletableFuture<Long> high = CompletableFuture.supplyAsync(
            () -> backend.vcpuAccessor(1).getLong(HUGE.pageOffset(page) + 300 * BASE), NEW_THREAD);
        assertTrue(await(() -> backend.uffdFaultCount() == 2, WAIT_MS), "each base page faults on its own");
        assertEquals(1, source.demandCount.get(), "one request for the 2 MiB page");

        assertTrue(install(page));
        assertEquals(word(page, 8), low.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(word(page, 300 * BASE), high.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(word(page, HUGE.pageSize() - 8), vcpuRead(2, HUGE.pageOffset(page + 1) - 8));
    }

    @Test
    void shouldZeroOnlyRemovedPartWhenGuestRemovesPartOfPresentPage() throws Exception {
        long page = 5;
        assertTrue(install(page));
        Mman.madvise(backend.memory().page(page).asSlice(0, 16 * BASE), Mman.MADV_DONTNEED);

        assertEquals(0L, vcpuRead(0, HUGE.pageOffset(page) + 8), "the removed part is zero");
        assertEquals(word(page, 16 * BASE), vcpuRead(0, HUGE.pageOffset(page) + 16 * BASE));
        assertTrue(backend.engine().isCached(page), "the page as a whole stays present");
        assertEquals(0, source.demandCount.get() + source.prefetchCount.get(), "never fetched again");
        assertFalse(install(page), "late content is a duplicate");
    }

    @Test
    void shouldDropLateContentWhenGuestRemovesWholePage() throws Exception {
        long page = 6;
        assertTrue(install(page));
        Mman.madvise(backend.memory().page(page), Mman.MADV_DONTNEED);

        assertEquals(0L, vcpuRead(0, HUGE.pageOffset(page) + 500 * BASE));
        assertFalse(install(page), "content for a page the guest dropped is dropped");
        assertEquals(0L, backend.hostAccessor().getLong(HUGE.pageOffset(page)));
    }

    @Test
    void shouldZeroRemovedPartAndFetchRestOnceWhenPartOfInFlightPageWasRemoved() throws Exception {
        long page = 7;
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(
            () -> backend.vcpuAccessor(0).getLong(HUGE.pageOffset(page)), NEW_THREAD);
        assertEquals(page, source.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS));

        // madvise returns once the handler has read the REMOVE; installs wait until it has applied it.
        Mman.madvise(backend.memory().page(page).asSlice(256 * BASE, 2 * BASE), Mman.MADV_DONTNEED);

        assertTrue(install(page));
        assertEquals(word(page, 0), read.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(0L, vcpuRead(1, HUGE.pageOffset(page) + 256 * BASE), "removed: zeros, not the source's bytes");
        assertEquals(0L, vcpuRead(1, HUGE.pageOffset(page) + 257 * BASE + 8));
        assertEquals(0L, backend.hostAccessor().getLong(HUGE.pageOffset(page) + 256 * BASE + 16));
        assertEquals(word(page, 258 * BASE), vcpuRead(1, HUGE.pageOffset(page) + 258 * BASE), "the rest: source");
        assertEquals(word(page, 255 * BASE + 4088), vcpuRead(1, HUGE.pageOffset(page) + 255 * BASE + 4088));
        assertEquals(1, source.demandCount.get() + source.prefetchCount.get(), "fetched once, never again");
    }

    @Test
    void shouldZeroFillRemovedPartLocallyWhenMissingPageIsTouchedThere() throws Exception {
        long page = 9;
        long removed = HUGE.pageOffset(page) + 10 * BASE;
        Mman.madvise(backend.memory().page(page).asSlice(10 * BASE, 2 * BASE), Mman.MADV_DONTNEED);

        assertEquals(0L, vcpuRead(0, removed + 8), "zeros at once, with the page still missing");
        assertFalse(backend.engine().isCached(page));
        assertEquals(0, source.demandCount.get() + source.prefetchCount.get(), "nothing fetched for a removed part");
        CompletableFuture.runAsync(() -> backend.vcpuAccessor(0).putLong(removed + 16, 42L), NEW_THREAD)
            .get(WAIT_MS, TimeUnit.MILLISECONDS);

        assertTrue(install(page), "the page's own arrival still installs it");
        assertEquals(42L, vcpuRead(0, removed + 16), "the guest's write to the removed part survives the arrival");
        assertEquals(0L, vcpuRead(0, removed + BASE), "the other removed base page: zeros");
        assertEquals(word(page, 12 * BASE), vcpuRead(0, removed + 2 * BASE), "the rest of the page: the source's");
        assertEquals(word(page, 0), vcpuRead(0, HUGE.pageOffset(page)));
    }

    @Test
    void shouldRefillWholePageFromSourceWhenBackendDiscardsPartlyRemovedPage() throws Exception {
        long page = 11;
        Mman.madvise(backend.memory().page(page).asSlice(0, BASE), Mman.MADV_DONTNEED);
        backend.discard(page);

        assertTrue(install(page));
        assertEquals(word(page, 8), vcpuRead(0, HUGE.pageOffset(page) + 8), "stale precopy discard: the source's");
    }

    @Test
    void shouldZeroOnlyCutTailWhenRemoveEndsAtPageBoundary() throws Exception {
        long page = 12;
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(
            () -> backend.vcpuAccessor(0).getLong(HUGE.pageOffset(page + 1) + 8), NEW_THREAD);
        assertEquals(page + 1, source.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS));
        // Ends exactly at the page boundary: page 12 is cut at its tail, page 13 untouched.
        Mman.madvise(backend.memory().page(page).asSlice(HUGE.pageSize() - BASE, BASE), Mman.MADV_DONTNEED);

        assertTrue(install(page + 1));
        assertEquals(word(page + 1, 8), read.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(word(page + 1, 0), vcpuRead(0, HUGE.pageOffset(page + 1)), "the next page is not cut");
        assertTrue(install(page));
        assertEquals(0L, vcpuRead(0, HUGE.pageOffset(page + 1) - 8), "the cut tail of page 12");
        assertEquals(word(page, HUGE.pageSize() - BASE - 8), vcpuRead(0, HUGE.pageOffset(page + 1) - BASE - 8));
    }
}
