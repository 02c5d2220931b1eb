package io.postcopy.engine.migration;

import io.postcopy.engine.backend.BackendKind;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.TestPages;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.backend.uffd.UffdBackend;
import io.postcopy.engine.backend.uffd.UserfaultfdProbe;
import io.postcopy.engine.error.PageOutOfRangeException;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.port.PageOrigin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batcher against both backends: one install call per run, exact counts, digests as per-page installs. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ContiguousPageBatcherTest {
    private static final int PAGES = 256;
    private static final MemoryGeometry SMALL = new MemoryGeometry((long) PAGES * MemoryGeometry.SMALL_PAGE_SIZE,
        MemoryGeometry.SMALL_PAGE_SIZE);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        arena.close();
    }

    private CountingBackend backend(BackendKind kind, MemoryGeometry geometry) {
        FaultEngineContext context = FaultEngineContext.of(geometry, 2, 64);
        FaultBackend backend = switch (kind) {
            case SOFTWARE -> new SoftwareBackend(context);
            case USERFAULTFD -> {
                Throwable cause = UserfaultfdProbe.unavailabilityCause();
                Assumptions.assumeTrue(cause == null, () -> "userfaultfd unavailable: " + cause);
                yield new UffdBackend(context);
            }
        };
        CountingBackend counting = new CountingBackend(backend);
        toClose.add(counting);
        return counting;
    }

    private MemorySegment page(MemoryGeometry geometry, long pageIndex) {
        return TestPages.page(arena, geometry, pageIndex);
    }

    private void addAll(ContiguousPageBatcher batcher, MemoryGeometry geometry, PageOrigin origin, long... pages) {
        for (long p : pages) {
            batcher.add(p, page(geometry, p), origin);
        }
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldInstallRunWithOneCallWhenPagesAreContiguous(BackendKind kind) {
        CountingBackend backend = backend(kind, SMALL);
        DestinationPageSink sink = new DestinationPageSink(backend);
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(sink)) {
            addAll(batcher, SMALL, PageOrigin.BACKGROUND, 10, 11, 12, 13, 14);
            assertEquals(5, batcher.stagedPageCount());
            assertEquals(List.of(), backend.calls(), "nothing installed before the flush");
            assertEquals(5, batcher.flush());
        }
        assertEquals(List.of("pages 10+5"), backend.calls());
        assertEquals(new PageArrivals(0, 5, 0, 0), sink.arrivals());
        assertDigestsMatchContent(sink, 10, 11, 12, 13, 14);
        assertEquals(TestPages.expectedWord(13, 7), backend.hostAccessor().getLong(SMALL.pageOffset(13) + 56));
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldInstallEachPageAtOnceWithoutStagingWhenUnbatched(BackendKind kind) {
        CountingBackend backend = backend(kind, SMALL);
        DestinationPageSink sink = new DestinationPageSink(backend);
        try (ContiguousPageBatcher batcher = ContiguousPageBatcher.unbatched(sink)) {
            addAll(batcher, SMALL, PageOrigin.BACKGROUND, 10, 11, 12);
            assertEquals(0, batcher.stagedPageCount(), "nothing waits for a flush");
            assertEquals(List.of("page 10", "page 11", "page 12"), backend.calls());
            assertEquals(0, batcher.flush());
        }
        assertEquals(new PageArrivals(0, 3, 0, 0), sink.arrivals());
        assertDigestsMatchContent(sink, 10, 11, 12);
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldStartNewRunWhenContiguityOrOriginBreaks(BackendKind kind) {
        CountingBackend backend = backend(kind, SMALL);
        DestinationPageSink sink = new DestinationPageSink(backend);
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(sink)) {
            addAll(batcher, SMALL, PageOrigin.BACKGROUND, 0, 1, 2, 5, 6);
            addAll(batcher, SMALL, PageOrigin.PRECOPY, 7, 8);
            addAll(batcher, SMALL, PageOrigin.BACKGROUND, 4);
        }
        assertEquals(List.of("pages 0+3", "pages 5+2", "pages 7+2", "pages 4+1"), backend.calls());
        assertEquals(new PageArrivals(0, 6, 0, 0, 2, 0, 0), sink.arrivals());
        assertDigestsMatchContent(sink, 0, 1, 2, 4, 5, 6, 7, 8);
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldFlushRunBeforeZeroPageWhenZeroPageArrivesInBetween(BackendKind kind) {
        CountingBackend backend = backend(kind, SMALL);
        DestinationPageSink sink = new DestinationPageSink(backend);
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(sink)) {
            addAll(batcher, SMALL, PageOrigin.BACKGROUND, 20, 21);
            batcher.addZero(22, PageOrigin.BACKGROUND);
            addAll(batcher, SMALL, PageOrigin.BACKGROUND, 23, 24);
        }
        assertEquals(List.of("pages 20+2", "zero 22", "pages 23+2"), backend.calls());
        assertEquals(new PageArrivals(0, 4, 1, 0), sink.arrivals());
        assertEquals(PageDigests.zeroPageDigest(SMALL.pageSize()), sink.digests().get(22));
        assertDigestsMatchContent(sink, 20, 21, 23, 24);
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldCountDuplicatesExactlyWhenPagesAreAlreadyPresent(BackendKind kind) {
        CountingBackend backend = backend(kind, SMALL);
        DestinationPageSink sink = new DestinationPageSink(backend);
        sink.onPage(33, page(SMALL, 33), PageOrigin.DEMAND);
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(sink)) {
            addAll(batcher, SMALL, PageOrigin.BACKGROUND, 30, 31, 32, 33, 34, 35);
            addAll(batcher, SMALL, PageOrigin.BACKGROUND, 40, 41, 42, 43);
            sink.onPage(42, page(SMALL, 42), PageOrigin.DEMAND); // arrives on the urgent channel meanwhile
            assertEquals(3, batcher.flush(), "42 became present after it was staged: skipped");
        }
        assertEquals(List.of("page 33", "pages 30+3", "page 33", "pages 34+2", "page 42", "pages 40+4"),
            backend.calls(), "a run never spans a page present when it arrived");
        assertEquals(new PageArrivals(2, 8, 0, 2), sink.arrivals());
        assertDigestsMatchContent(sink, 30, 31, 32, 33, 34, 35, 40, 41, 42, 43);
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldInstallDemandPageAtOnceWhenRunIsStaged(BackendKind kind) {
        CountingBackend backend = backend(kind, SMALL);
        DestinationPageSink sink = new DestinationPageSink(backend);
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(sink)) {
            addAll(batcher, SMALL, PageOrigin.BACKGROUND, 50, 51);
            addAll(batcher, SMALL, PageOrigin.DEMAND, 52);
            assertTrue(backend.engine().isCached(52), "a vCPU may be waiting for it");
            assertEquals(0, batcher.stagedPageCount());
        }
        assertEquals(List.of("pages 50+2", "page 52"), backend.calls());
        assertEquals(new PageArrivals(1, 2, 0, 0), sink.arrivals());
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldSplitRunWhenItReachesMaxLength(BackendKind kind) {
        CountingBackend backend = backend(kind, SMALL);
        DestinationPageSink sink = new DestinationPageSink(backend);
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(sink)) {
            assertEquals(64, batcher.maxRunPages());
            for (long p = 0; p < 100; p++) {
                batcher.add(p, page(SMALL, p), PageOrigin.BACKGROUND);
            }
            assertEquals(36, batcher.stagedPageCount(), "a full run is installed as soon as it is full");
        }
        assertEquals(List.of("pages 0+64", "pages 64+36"), backend.calls());
        assertEquals(new PageArrivals(0, 100, 0, 0), sink.arrivals());
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldRecordSameDigestsAsPerPageInstallsWhenBatching(BackendKind kind) {
        DestinationPageSink batched = new DestinationPageSink(backend(kind, SMALL));
        DestinationPageSink perPage = new DestinationPageSink(backend(kind, SMALL));
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(batched, 16 * SMALL.pageSize())) {
            for (long p = 0; p < PAGES; p++) {
                if (p % 37 == 5) {
                    batcher.addZero(p, PageOrigin.BACKGROUND);
                    perPage.onZeroPage(p, PageOrigin.BACKGROUND);
                } else {
                    batcher.add(p, page(SMALL, p), PageOrigin.BACKGROUND);
                    perPage.onPage(p, page(SMALL, p), PageOrigin.BACKGROUND);
                }
            }
        }
        PageDigests.IntegrityResult result = batched.digests().compareWith(perPage.digests());
        assertEquals(new PageDigests.IntegrityResult(PAGES, 0, -1), result);
        assertEquals(perPage.arrivals(), batched.arrivals());
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldInstallOneHugePagePerRunWhenPagesAreTwoMebibytes(BackendKind kind) {
        MemoryGeometry huge = new MemoryGeometry(8L * MemoryGeometry.HUGE_PAGE_SIZE, MemoryGeometry.HUGE_PAGE_SIZE);
        CountingBackend backend = backend(kind, huge);
        DestinationPageSink sink = new DestinationPageSink(backend);
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(sink)) {
            assertEquals(1, batcher.maxRunPages());
            addAll(batcher, huge, PageOrigin.BACKGROUND, 2, 3);
        }
        assertEquals(List.of("pages 2+1", "pages 3+1"), backend.calls());
        assertEquals(new PageArrivals(0, 2, 0, 0), sink.arrivals());
        assertEquals(PageDigests.digest(page(huge, 3)), sink.digests().get(3));
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldRejectBadInputWithoutLosingStagedRun(BackendKind kind) {
        CountingBackend backend = backend(kind, SMALL);
        DestinationPageSink sink = new DestinationPageSink(backend);
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(sink)) {
            addAll(batcher, SMALL, PageOrigin.BACKGROUND, 254, 255);
            MemorySegment content = page(SMALL, 0);
            assertThrows(PageOutOfRangeException.class, () -> batcher.add(PAGES, content, PageOrigin.BACKGROUND));
            assertThrows(IllegalArgumentException.class,
                () -> batcher.add(1, content.asSlice(0, 100), PageOrigin.BACKGROUND));
            assertFalse(backend.engine().isCached(1));
        }
        assertTrue(backend.engine().isCached(254) && backend.engine().isCached(255));
        assertThrows(IllegalArgumentException.class, () -> new ContiguousPageBatcher(sink, 0));
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldReplacePresentPagesAndCountResentWhenPrecopyRoundResendsThem(BackendKind kind) {
        CountingBackend backend = backend(kind, SMALL);
        DestinationPageSink sink = new DestinationPageSink(backend);
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(sink)) {
            for (long p = 70; p < 74; p++) {
                batcher.add(p, page(SMALL, p + 100), PageOrigin.PRECOPY); // first round: stale content
            }
            batcher.flush();
            addAll(batcher, SMALL, PageOrigin.PRECOPY, 71, 72); // second round re-sends what the VM wrote
        }
        MemorySegment run = arena.allocate(2L * SMALL.pageSize(), 4096);
        run.asSlice(0, SMALL.pageSize()).copyFrom(page(SMALL, 73));
        run.asSlice(SMALL.pageSize(), SMALL.pageSize()).copyFrom(page(SMALL, 74));
        assertEquals(2, sink.onPages(73, run, 2, PageOrigin.PRECOPY), "73 replaced, 74 new");

        assertEquals(new PageArrivals(0, 0, 0, 0, 5, 0, 3), sink.arrivals());
        assertDigestsMatchContent(sink, 71, 72, 73, 74);
        assertEquals(PageDigests.digest(page(SMALL, 170)), sink.digests().get(70));
        assertEquals(TestPages.expectedWord(72, 3), backend.hostAccessor().getLong(SMALL.pageOffset(72) + 24));
    }

    /** Pages {@code first..first+count-1} back to back, cut into parts of the given sizes (as reads cut a frame). */
    private MemorySegment[] parts(long first, int count, long... sizes) {
        long pageSize = SMALL.pageSize();
        MemorySegment whole = arena.allocate(count * pageSize, 8);
        for (int i = 0; i < count; i++) {
            TestPages.fill(whole.asSlice(i * pageSize, pageSize), first + i);
        }
        MemorySegment[] parts = new MemorySegment[sizes.length];
        long offset = 0;
        for (int i = 0; i < sizes.length; i++) {
            parts[i] = arena.allocate(sizes[i], 1); // each part in a buffer of its own, like a read
            parts[i].copyFrom(whole.asSlice(offset, sizes[i]));
            offset += sizes[i];
        }
        assertEquals(whole.byteSize(), offset, "the test's part sizes add up to the run");
        return parts;
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldInstallRunStraightFromItsPartsAndGatherOnlyPagesSplitAcrossParts(BackendKind kind) {
        CountingBackend backend = backend(kind, SMALL);
        DestinationPageSink sink = new DestinationPageSink(backend);
        long page = SMALL.pageSize();
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(sink)) {
            addAll(batcher, SMALL, PageOrigin.BACKGROUND, 3); // a staged page is installed first
            // 6 pages from 40: [40, 41, half of 42] [rest of 42, 43, a sliver of 44] [more of 44] [rest of 44, 45]
            batcher.addRun(40, parts(40, 6, 2 * page + 100, page - 100 + page + 10, 20, page - 30 + page), 6,
                PageOrigin.BACKGROUND);
            assertEquals(0, batcher.stagedPageCount());
            batcher.addRun(50, parts(50, 2, 2 * page), 2, PageOrigin.BACKGROUND);
        }
        assertEquals(List.of("pages 3+1", "pages 40+2", "pages 42+1", "pages 43+1", "pages 44+1", "pages 45+1",
            "pages 50+2"), backend.calls());
        assertEquals(new PageArrivals(0, 9, 0, 0), sink.arrivals());
        assertDigestsMatchContent(sink, 3, 40, 41, 42, 43, 44, 45, 50, 51);
        for (long p = 40; p < 46; p++) {
            assertEquals(TestPages.expectedWord(p, 511), backend.hostAccessor().getLong(SMALL.pageOffset(p) + 4088));
        }
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldRejectRunWhosePartsAreNotItsPages(BackendKind kind) {
        CountingBackend backend = backend(kind, SMALL);
        DestinationPageSink sink = new DestinationPageSink(backend);
        try (ContiguousPageBatcher batcher = new ContiguousPageBatcher(sink)) {
            MemorySegment[] parts = parts(60, 2, SMALL.pageSize(), SMALL.pageSize());
            assertThrows(IllegalArgumentException.class, () -> batcher.addRun(60, parts, 3, PageOrigin.BACKGROUND));
        }
        assertEquals(List.of(), backend.calls(), "nothing installed");
    }

    private void assertDigestsMatchContent(DestinationPageSink sink, long... pages) {
        for (long p : pages) {
            assertEquals(PageDigests.digest(page(SMALL, p)), sink.digests().get(p), "digest of page " + p);
        }
    }
}
