package io.postcopy.engine.backend;

import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.port.PageSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test page source that counts requests per page and answers each by installing {@link TestPages} content
 * into the backend, either inline (on the requesting thread) or from a responder thread, optionally never.
 */
public final class RecordingPageSource implements PageSource, AutoCloseable {
    /** How requests are answered. */
    public enum Mode {
        /** Install on the calling thread. */
        INLINE,
        /** Install from a separate responder thread. */
        RESPONDER_THREAD,
        /** Never answer (for timeout tests). */
        NEVER
    }

    private final FaultBackend backend;
    private final Mode mode;
    private final ExecutorService responder = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "test-page-responder");
        t.setDaemon(true);
        return t;
    });
    private final ConcurrentHashMap<Long, AtomicInteger> requestsByPage = new ConcurrentHashMap<>();
    private final AtomicLong demandRequests = new AtomicLong();
    private final AtomicLong prefetchRequests = new AtomicLong();

    /** Answers requests for {@code backend}'s pages in {@code mode}. */
    public RecordingPageSource(FaultBackend backend, Mode mode) {
        this.backend = backend;
        this.mode = mode;
    }

    @Override
    public void requestDemand(long pageIndex) {
        demandRequests.incrementAndGet();
        record(pageIndex);
    }

    @Override
    public void requestPrefetch(long[] pageIndexes, int count) {
        for (int i = 0; i < count; i++) {
            prefetchRequests.incrementAndGet();
            record(pageIndexes[i]);
        }
    }

    /** How many times {@code pageIndex} was requested (demand and prefetch). */
    public int requestsFor(long pageIndex) {
        AtomicInteger n = requestsByPage.get(pageIndex);
        return n == null ? 0 : n.get();
    }

    /** Number of distinct pages requested. */
    public int distinctPagesRequested() {
        return requestsByPage.size();
    }

    /** Total demand requests. */
    public long demandRequests() {
        return demandRequests.get();
    }

    /** Total prefetch requests. */
    public long prefetchRequests() {
        return prefetchRequests.get();
    }

    private void record(long pageIndex) {
        requestsByPage.computeIfAbsent(pageIndex, p -> new AtomicInteger()).incrementAndGet();
        switch (mode) {
            case INLINE -> install(pageIndex);
            case RESPONDER_THREAD -> responder.execute(() -> install(pageIndex));
            case NEVER -> { }
            default -> throw new IllegalStateException(mode.toString());
        }
    }

    private void install(long pageIndex) {
        MemoryGeometry geometry = backend.memory().geometry();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment content = TestPages.page(arena, geometry, pageIndex);
            backend.installPage(pageIndex, content);
        }
    }

    @Override
    public void close() {
        responder.shutdownNow();
        try {
            responder.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
