package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.port.PageSource;
import org.junit.jupiter.api.Assumptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** Shared pieces of the userfaultfd tests: the skip rule, page patterns, a recording source, deadlines. */
final class UffdTestSupport {
    static final int PAGE_SIZE = MemoryGeometry.SMALL_PAGE_SIZE;

    private UffdTestSupport() {
    }

    /** Skips the calling test, with the probe's reason, where userfaultfd does not work. */
    static void assumeUffd() {
        Throwable cause = UserfaultfdProbe.unavailabilityCause();
        Assumptions.assumeTrue(cause == null, () -> "userfaultfd unavailable: " + cause);
    }

    static FaultEngineContext context(long pageCount, int vcpus) {
        return FaultEngineContext.of(new MemoryGeometry(pageCount * PAGE_SIZE, PAGE_SIZE), vcpus, 1024)
            .withFaultTimeoutNs(TimeUnit.SECONDS.toNanos(20));
    }

    /** The expected long at long-index {@code i} of page {@code pageIndex}, for a given content generation. */
    static long pattern(long pageIndex, int i, int generation) {
        return (pageIndex + 1) * 1_000_003L + i * 31L + generation * 7_777_777_777L;
    }

    /** One page of the pattern, in {@code arena}. */
    static MemorySegment patternPage(Arena arena, long pageIndex, int generation) {
        MemorySegment page = arena.allocate(PAGE_SIZE, PAGE_SIZE);
        for (int i = 0; i < PAGE_SIZE / Long.BYTES; i++) {
            page.setAtIndex(ValueLayout.JAVA_LONG, i, pattern(pageIndex, i, generation));
        }
        return page;
    }

    /** Installs the generation-0 pattern of one page; true if installed. */
    static boolean installPattern(FaultBackend backend, long pageIndex) {
        try (Arena arena = Arena.ofConfined()) {
            return backend.installPage(pageIndex, patternPage(arena, pageIndex, 0));
        }
    }

    /** Polls {@code condition} until it holds or {@code timeoutMs} passes; false on timeout. */
    static boolean await(BooleanSupplier condition, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        return true;
    }

    /** A page source that records every request. */
    static final class RecordingSource implements PageSource {
        final LinkedBlockingQueue<Long> requests = new LinkedBlockingQueue<>();
        final AtomicInteger demandCount = new AtomicInteger();
        final AtomicInteger prefetchCount = new AtomicInteger();

        @Override
        public void requestDemand(long pageIndex) {
            demandCount.incrementAndGet();
            requests.add(pageIndex);
        }

        @Override
        public void requestPrefetch(long[] pageIndexes, int count) {
            for (int i = 0; i < count; i++) {
                prefetchCount.incrementAndGet();
                requests.add(pageIndexes[i]);
            }
        }
    }
}
