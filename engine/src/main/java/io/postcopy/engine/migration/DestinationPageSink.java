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
    private final LongAdder precopy = new LongAdder();
    private final LongAdder discarded = new LongAdder();
    private final LongAdder precopyResent = new LongAdder();
    private volatile MemorySegment zeroPage;

    /** Installs into {@code backend} and takes over its install observer to record digests. */
    public DestinationPageSink(FaultBackend backend) {
        this.backend = backend;
        this.digests = new PageDigests(backend.memory().pageCount());
        backend.setInstallObserver(digests::record);
    }

    @Override
    public void onPage(long pageIndex, MemorySegment content, PageOrigin origin) {
        installOne(pageIndex, content, origin);
    }

    /** Installs one page, or replaces a precopy page's earlier content; false if it was a duplicate. */
    private boolean installOne(long pageIndex, MemorySegment content, PageOrigin origin) {
        if (origin == PageOrigin.PRECOPY && backend.overwritePage(pageIndex, content)) {
            precopyResent.increment();
            return true;
        }
        if (backend.installPage(pageIndex, content)) {
            installedCounter(origin).increment();
            return true;
        }
        duplicate.increment();
        return false;
    }

    /**
     * A run of contiguous pages arrived in one buffer: installs them with one {@link FaultBackend#installPages}
     * call (one {@code UFFDIO_COPY} per run of missing pages), counting the pages it installed under
     * {@code origin} and the rest as duplicates, exactly as {@link #onPage} would page by page (a precopy page
     * that is present is replaced first and counted as a precopy re-send). Digests are recorded by the install
     * observer, once per installed page. Thread-safe, like {@link #onPage}.
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
        if (pageCount >= 1) { // check before any replacement; installPages rejects the rest
            backend.memory().geometry().checkPageIndex(firstPageIndex);
            backend.memory().geometry().checkPageIndex(firstPageIndex + pageCount - 1);
        }
        long pageSize = backend.memory().pageSize();
        if (origin == PageOrigin.PRECOPY && anyPresent(firstPageIndex, pageCount)) {
            // A later round re-sends pages the VM wrote since: replace those in place, page by page.
            int installed = 0;
            for (int i = 0; i < pageCount; i++) {
                installed += installOne(firstPageIndex + i, contiguous.asSlice(i * pageSize, pageSize), origin)
                    ? 1 : 0;
            }
            return installed;
        }
        int installed = backend.installPages(firstPageIndex, contiguous, pageCount);
        installedCounter(origin).add(installed);
        duplicate.add(pageCount - installed);
        return installed;
    }

    /** {@inheritDoc} <p>Installs the run with one {@link #onPages} call. */
    @Override
    public void onPageRun(long firstPageIndex, MemorySegment contiguous, int pageCount, PageOrigin origin) {
        onPages(firstPageIndex, contiguous, pageCount, origin);
    }

    private LongAdder installedCounter(PageOrigin origin) {
        return switch (origin) {
            case DEMAND -> demand;
            case BACKGROUND -> background;
            case PRECOPY -> precopy;
        };
    }

    @Override
    public void onZeroPage(long pageIndex, PageOrigin origin) {
        if (origin == PageOrigin.PRECOPY && backend.engine().isCached(pageIndex)
            && backend.overwritePage(pageIndex, zeroPage())) {
            precopyResent.increment();
            return;
        }
        if (backend.installZeroPage(pageIndex)) {
            zero.increment();
        } else {
            duplicate.increment();
        }
    }

    /**
     * A run of zero pages arrived: installs them with one {@link FaultBackend#installZeroPages} call (one {@code
     * UFFDIO_ZEROPAGE} per run of missing pages), counting the pages it installed as zero pages and the rest as
     * duplicates, exactly as {@link #onZeroPage} would page by page (a precopy page that is present is replaced by
     * zeros and counted as a precopy re-send). Thread-safe, like {@link #onZeroPage}.
     *
     * @throws io.postcopy.engine.error.PageOutOfRangeException if any page is out of range, before anything is
     *     installed
     */
    @Override
    public void onZeroPageRun(long firstPageIndex, int pageCount, PageOrigin origin) {
        if (pageCount < 1) {
            throw new IllegalArgumentException("pageCount=" + pageCount + " (expected: >= 1)");
        }
        backend.memory().geometry().checkPageIndex(firstPageIndex);
        backend.memory().geometry().checkPageIndex(firstPageIndex + pageCount - 1);
        if (origin == PageOrigin.PRECOPY && anyPresent(firstPageIndex, pageCount)) {
            for (int i = 0; i < pageCount; i++) {
                onZeroPage(firstPageIndex + i, origin);
            }
            return;
        }
        int installed = backend.installZeroPages(firstPageIndex, pageCount);
        zero.add(installed);
        duplicate.add(pageCount - installed);
    }

    /**
     * True if any page of the run is present: a later precopy round re-sending pages the VM wrote since the
     * previous round, whose new content replaces the old in place (safe: precopy pages arrive before any
     * destination vCPU runs).
     */
    private boolean anyPresent(long firstPageIndex, int pageCount) {
        for (int i = 0; i < pageCount; i++) {
            if (backend.engine().isCached(firstPageIndex + i)) {
                return true;
            }
        }
        return false;
    }

    private MemorySegment zeroPage() {
        MemorySegment zeros = zeroPage;
        if (zeros == null) {
            zeros = MemorySegment.ofArray(new byte[backend.memory().pageSize()]);
            zeroPage = zeros;
        }
        return zeros;
    }

    /**
     * Drops a page whose precopy content went stale: it becomes missing and its next arrival is installed.
     * Called at switchover, before the destination's vCPUs run.
     */
    public void onDiscard(long pageIndex) {
        onDiscard(pageIndex, 1);
    }

    /** Drops a run of stale pages at once (one {@code madvise} with userfaultfd); see {@link #onDiscard(long)}. */
    public void onDiscard(long firstPageIndex, long pageCount) {
        backend.discard(firstPageIndex, pageCount);
        discarded.add(pageCount);
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
        return new PageArrivals(demand.sum(), background.sum(), zero.sum(), duplicate.sum(), precopy.sum(),
            discarded.sum(), precopyResent.sum());
    }
}
