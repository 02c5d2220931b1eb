package io.postcopy.engine.migration;

import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.port.PageOrigin;
import io.postcopy.engine.port.PageSink;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.LongAdder;

/**
 * The destination's {@link PageSink}: installs each arriving page through the backend (which wakes its waiters),
 * records the installed content's digest, and counts how pages arrived. Thread-safe; called by whichever thread
 * received the page (shared/DESIGN.md: the receiving thread installs).
 */
public final class DestinationPageSink implements PageSink {
    private final FaultBackend backend;
    private final PageDigests digests;
    private final LongAdder demand = new LongAdder();
    private final LongAdder background = new LongAdder();
    private final LongAdder zero = new LongAdder();
    private final LongAdder duplicate = new LongAdder();

    /** Installs into {@code backend} and takes over its install observer to record digests. */
    public DestinationPageSink(FaultBackend backend) {
        this.backend = backend;
        this.digests = new PageDigests(backend.memory().pageCount());
        backend.setInstallObserver(digests::record);
    }

    @Override
    public void onPage(long pageIndex, MemorySegment content, PageOrigin origin) {
        if (backend.installPage(pageIndex, content)) {
            (origin == PageOrigin.DEMAND ? demand : background).increment();
        } else {
            duplicate.increment();
        }
    }

    /**
     * A run of contiguous pages arrived in one buffer: installs them with one
     * {@link FaultBackend#installPages} call (one {@code UFFDIO_COPY} per run of missing pages), counting the pages
     * it installed under {@code origin} and the rest as duplicates. Digests are recorded by the install observer,
     * once per installed page, exactly as by {@link #onPage}. Thread-safe, like {@link #onPage}.
     *
     * @param firstPageIndex the first page
     * @param contiguous     exactly {@code pageCount} pages of bytes, readable for the duration of the call
     * @param pageCount      at least 1
     * @param origin         why the pages were sent
     * @return how many of the pages were installed by this call
     * @throws io.postcopy.engine.error.PageOutOfRangeException if any page is out of range, before anything is
     *     installed
     */
    public int onPages(long firstPageIndex, MemorySegment contiguous, int pageCount, PageOrigin origin) {
        int installed = backend.installPages(firstPageIndex, contiguous, pageCount);
        (origin == PageOrigin.DEMAND ? demand : background).add(installed);
        duplicate.add(pageCount - installed);
        return installed;
    }

    @Override
    public void onZeroPage(long pageIndex, PageOrigin origin) {
        if (backend.installZeroPage(pageIndex)) {
            zero.increment();
        } else {
            duplicate.increment();
        }
    }

    /** The backend pages are installed into (for the batcher's presence check). */
    FaultBackend backend() {
        return backend;
    }

    /** Digests of the pages as installed. */
    public PageDigests digests() {
        return digests;
    }

    /** A snapshot of the counts. */
    public PageArrivals arrivals() {
        return new PageArrivals(demand.sum(), background.sum(), zero.sum(), duplicate.sum());
    }
}
