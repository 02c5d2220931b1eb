package io.postcopy.engine.migration;

import io.postcopy.engine.backend.PageWrites;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.port.PageOrigin;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Gathers background pages that arrive in index order into runs and installs each run with one
 * {@link DestinationPageSink#onPages} call, so that the userfaultfd backend does one {@code UFFDIO_COPY} per run
 * instead of one per page. A page joins the current run if it is the next index, has the same origin, is not
 * present already and the run is not full; otherwise the run is flushed first.
 *
 * <p>Demand pages are never held back (a vCPU waits for them): the run is flushed, then the page is installed at
 * once. A page that is present already when it arrives is not copied to staging: it goes to
 * {@link DestinationPageSink#onPage}, which counts it as a duplicate, so a run never spans a present page. A page
 * that becomes present between {@link #add} and {@link #flush} is skipped by the install and counted as a
 * duplicate: the sink's counts and digests stay exact either way.
 *
 * <p>Single-threaded: one instance per connection, used by its receiving event loop only, which calls
 * {@link #flush()} when it has drained its input (Netty's {@code channelReadComplete}) and {@link #close()} when
 * the connection ends. The staging buffer is native and page-aligned, so the backend copies from it directly.
 */
public final class ContiguousPageBatcher implements AutoCloseable {
    /** Default longest run, in bytes (64 pages of 4 KiB; one page of 2 MiB). */
    public static final int DEFAULT_MAX_RUN_BYTES = 256 * 1024;

    private final DestinationPageSink sink;
    private final FaultEngine engine;
    private final long pageSize;
    private final int maxRunPages;
    private final boolean unbatched;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment staging;
    private long runFirstPageIndex;
    private int runPageCount;
    private PageOrigin runOrigin;

    /** A batcher into {@code sink} with runs of at most {@link #DEFAULT_MAX_RUN_BYTES} (at least one page). */
    public ContiguousPageBatcher(DestinationPageSink sink) {
        this(sink, DEFAULT_MAX_RUN_BYTES);
    }

    /**
     * A batcher into {@code sink}.
     *
     * @param maxRunBytes longest run in bytes; rounded down to whole pages, and at least one page
     * @throws IllegalArgumentException if {@code maxRunBytes < 1}
     */
    public ContiguousPageBatcher(DestinationPageSink sink, int maxRunBytes) {
        this(sink, maxRunBytes, false);
    }

    /**
     * A pass-through with the same interface: every page goes straight to the sink, with no staging copy. For a
     * backend that copies each page into place anyway (software), where runs buy nothing.
     */
    public static ContiguousPageBatcher unbatched(DestinationPageSink sink) {
        return new ContiguousPageBatcher(sink, 1, true);
    }

    private ContiguousPageBatcher(DestinationPageSink sink, int maxRunBytes, boolean unbatched) {
        this.unbatched = unbatched;
        if (maxRunBytes < 1) {
            throw new IllegalArgumentException("maxRunBytes=" + maxRunBytes + " (expected: >= 1)");
        }
        this.sink = sink;
        this.engine = sink.backend().engine();
        this.pageSize = engine.geometry().pageSize();
        this.maxRunPages = (int) Math.max(1, maxRunBytes / pageSize);
        this.staging = arena.allocate(maxRunPages * pageSize, Math.min(pageSize, 4096));
    }

    /** Longest run, in pages. */
    public int maxRunPages() {
        return maxRunPages;
    }

    /** Pages staged and not installed yet. */
    public int stagedPageCount() {
        return runPageCount;
    }

    /**
     * A page's content arrived: copies it into the current run, or flushes first if it does not continue it.
     *
     * @param pageIndex a valid page index
     * @param content   exactly one page, readable only during the call
     * @param origin    why it was sent; {@link PageOrigin#DEMAND} is installed at once
     * @throws io.postcopy.engine.error.PageOutOfRangeException for a bad index (after flushing the run)
     * @throws IllegalArgumentException if {@code content} is not exactly one page
     */
    public void add(long pageIndex, MemorySegment content, PageOrigin origin) {
        PageWrites.checkOnePage(content, pageSize);
        if (runPageCount > 0 && (pageIndex != runFirstPageIndex + runPageCount || origin != runOrigin)) {
            flush();
        }
        engine.geometry().checkPageIndex(pageIndex);
        if (unbatched || origin == PageOrigin.DEMAND || engine.isCached(pageIndex)) {
            // No run to build (batching off, an urgent page, or a present page): straight in, no staging copy.
            flush();
            sink.onPage(pageIndex, content, origin);
            return;
        }
        if (runPageCount == 0) {
            runFirstPageIndex = pageIndex;
            runOrigin = origin;
        }
        MemorySegment.copy(content, 0, staging, runPageCount * pageSize, pageSize);
        if (++runPageCount == maxRunPages) {
            flush();
        }
    }

    /**
     * A whole run arrived (a PAGE_RUN), its bytes in {@code parts} back to back as they came off the network: the
     * staged run is flushed first, then the pages that lie whole inside one part are installed straight from it
     * (one {@link DestinationPageSink#onPages} call per part), and a page split across parts is put together in
     * the staging buffer and installed from there. Nothing is copied but those split pages.
     *
     * @param firstPageIndex the run's first page; the caller checked the whole run against the geometry
     * @param parts          the run's content, in order; each readable only during the call
     * @param pageCount      pages in the run; the parts hold exactly {@code pageCount} pages of bytes
     * @param origin         why the pages were sent (not DEMAND: a run is never a demand answer)
     * @throws IllegalArgumentException if the parts do not add up to {@code pageCount} whole pages
     */
    public void addRun(long firstPageIndex, MemorySegment[] parts, int pageCount, PageOrigin origin) {
        long total = 0;
        for (MemorySegment part : parts) {
            total += part.byteSize();
        }
        if (total != pageCount * pageSize) {
            throw new IllegalArgumentException("parts of " + total + " bytes for " + pageCount + " pages of "
                + pageSize);
        }
        flush();
        long pageIndex = firstPageIndex;
        long split = 0; // bytes of a page split across parts, gathered at the start of the staging buffer
        for (MemorySegment part : parts) {
            long offset = 0;
            long size = part.byteSize();
            if (split > 0) {
                offset = Math.min(pageSize - split, size);
                MemorySegment.copy(part, 0, staging, split, offset);
                split += offset;
                if (split < pageSize) {
                    continue;
                }
                sink.onPages(pageIndex++, staging.asSlice(0, pageSize), 1, origin);
                split = 0;
            }
            int whole = (int) ((size - offset) / pageSize);
            if (whole > 0) {
                sink.onPages(pageIndex, part.asSlice(offset, whole * pageSize), whole, origin);
                pageIndex += whole;
                offset += whole * pageSize;
            }
            if (offset < size) {
                split = size - offset;
                MemorySegment.copy(part, offset, staging, 0, split);
            }
        }
    }

    /** A zero page arrived: flushes the current run, then installs the zero page. */
    public void addZero(long pageIndex, PageOrigin origin) {
        flush();
        sink.onZeroPage(pageIndex, origin);
    }

    /**
     * Installs the staged run, if any, with one {@link DestinationPageSink#onPages} call.
     *
     * @return how many pages the flush installed (staged pages present meanwhile are counted as duplicates)
     */
    public int flush() {
        if (runPageCount == 0) {
            return 0;
        }
        int count = runPageCount;
        runPageCount = 0;
        return sink.onPages(runFirstPageIndex, staging.asSlice(0, count * pageSize), count, runOrigin);
    }

    /** Flushes, then frees the staging buffer. Call once, from the event loop. */
    @Override
    public void close() {
        try {
            flush();
        } finally {
            arena.close();
        }
    }
}
