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

/** Runs arriving at the destination's sink, against both backends: one install call each, exact counts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DestinationPageSinkRunTest {
    private static final MemoryGeometry SMALL = new MemoryGeometry(128L * MemoryGeometry.SMALL_PAGE_SIZE,
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

    private CountingBackend backend(BackendKind kind) {
        FaultEngineContext context = FaultEngineContext.of(SMALL, 2, 64);
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

    private MemorySegment run(long firstPageIndex, int pageCount) {
        MemorySegment run = arena.allocate((long) pageCount * SMALL.pageSize(), 4096);
        for (int i = 0; i < pageCount; i++) {
            TestPages.fill(run.asSlice((long) i * SMALL.pageSize(), SMALL.pageSize()), firstPageIndex + i);
        }
        return run;
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldInstallPageRunWithOneCallAndCountDuplicates(BackendKind kind) {
        CountingBackend backend = backend(kind);
        DestinationPageSink sink = new DestinationPageSink(backend);
        sink.onPage(12, TestPages.page(arena, SMALL, 12), PageOrigin.DEMAND);
        sink.onPageRun(10, run(10, 5), 5, PageOrigin.BACKGROUND);

        assertEquals(List.of("page 12", "pages 10+5"), backend.calls());
        assertEquals(new PageArrivals(1, 4, 0, 1), sink.arrivals());
        for (long p = 10; p < 15; p++) {
            assertEquals(PageDigests.digest(TestPages.page(arena, SMALL, p)), sink.digests().get(p));
            assertEquals(TestPages.expectedWord(p, 7), backend.hostAccessor().getLong(SMALL.pageOffset(p) + 56));
        }
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldInstallZeroRunWithOneCallAndCountDuplicates(BackendKind kind) {
        CountingBackend backend = backend(kind);
        DestinationPageSink sink = new DestinationPageSink(backend);
        sink.onPage(21, TestPages.page(arena, SMALL, 21), PageOrigin.DEMAND);
        sink.onZeroPageRun(20, 4, PageOrigin.BACKGROUND);

        assertEquals(List.of("page 21", "zeros 20+4"), backend.calls());
        assertEquals(new PageArrivals(1, 0, 3, 1), sink.arrivals());
        long zeroDigest = PageDigests.zeroPageDigest(SMALL.pageSize());
        for (long p : new long[] {20, 22, 23}) {
            assertEquals(zeroDigest, sink.digests().get(p), "digest of zero page " + p);
            assertEquals(0, backend.hostAccessor().getLong(SMALL.pageOffset(p) + 8));
        }
        assertEquals(TestPages.expectedWord(21, 1), backend.hostAccessor().getLong(SMALL.pageOffset(21) + 8),
            "a present page keeps its content");
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldReplacePresentPagesWithZerosWhenPrecopyZeroRunResendsThem(BackendKind kind) {
        CountingBackend backend = backend(kind);
        DestinationPageSink sink = new DestinationPageSink(backend);
        sink.onPageRun(30, run(30, 2), 2, PageOrigin.PRECOPY);
        sink.onZeroPageRun(30, 3, PageOrigin.PRECOPY); // a later round: the VM zeroed 30 and 31, 32 is new

        assertEquals(new PageArrivals(0, 0, 1, 0, 2, 0, 2), sink.arrivals());
        long zeroDigest = PageDigests.zeroPageDigest(SMALL.pageSize());
        for (long p = 30; p < 33; p++) {
            assertEquals(0, backend.hostAccessor().getLong(SMALL.pageOffset(p)), "page " + p + " is zeros now");
            assertEquals(zeroDigest, sink.digests().get(p), "digest of page " + p);
        }
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void shouldRejectRunReachingPastMemoryBeforeInstallingAnything(BackendKind kind) {
        CountingBackend backend = backend(kind);
        DestinationPageSink sink = new DestinationPageSink(backend);
        long last = SMALL.pageCount() - 1;
        assertThrows(PageOutOfRangeException.class, () -> sink.onZeroPageRun(last, 2, PageOrigin.BACKGROUND));
        assertThrows(PageOutOfRangeException.class, () -> sink.onPageRun(last, run(last, 2), 2,
            PageOrigin.BACKGROUND));
        assertThrows(IllegalArgumentException.class, () -> sink.onZeroPageRun(5, 0, PageOrigin.BACKGROUND));
        assertFalse(backend.engine().isCached(last));
        assertEquals(new PageArrivals(0, 0, 0, 0), sink.arrivals());
    }
}
