package io.postcopy.engine.migration;

import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.PageBitmap;
import io.postcopy.engine.port.PageOrigin;
import io.postcopy.engine.port.PageSink;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The source's side of post-copy: serves pages of the frozen guest memory on demand and streams the rest in the
 * background, each page exactly once (a {@code sent} bitmap claimed with CAS), all-zero pages as a zero
 * encoding. The background stream starts from the page after the latest demand request (spatial locality),
 * wrapping around, so it runs just ahead of where the guest is faulting.
 *
 * <p>Thread-safe: demand requests (urgent channel) and the background stream run on different threads.
 * The memory must not change while this serves it (the source VM is paused).
 */
public final class SourcePageServer {
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new long[4096 / Long.BYTES]);

    private final GuestMemory memory;
    private final PageBitmap sent;
    private final PageDigests digests;
    private final AtomicLong backgroundCursor = new AtomicLong();
    private final AtomicLong demandPages = new AtomicLong();
    private final AtomicLong backgroundPages = new AtomicLong();
    private final AtomicLong zeroPages = new AtomicLong();
    private final AtomicLong alreadySent = new AtomicLong();
    private final PageBitmap delivered;
    private final AtomicLong undelivered;
    private final AtomicLong precopyPages = new AtomicLong();

    private final boolean recordDigests;

    /** Serves {@code frozenMemory}, recording each page's digest as it goes out; nothing has been sent yet. */
    public SourcePageServer(GuestMemory frozenMemory) {
        this(frozenMemory, true);
    }

    /**
     * @param frozenMemory  the memory to serve
     * @param recordDigests whether to digest each page as it goes out ({@link #digests()}); a caller that digests
     *                      the frozen memory itself at the end passes false and saves one pass over every page
     */
    public SourcePageServer(GuestMemory frozenMemory, boolean recordDigests) {
        this.recordDigests = recordDigests;
        this.memory = frozenMemory;
        this.sent = new PageBitmap(frozenMemory.pageCount());
        this.digests = new PageDigests(frozenMemory.pageCount());
        this.delivered = new PageBitmap(frozenMemory.pageCount());
        this.undelivered = new AtomicLong(frozenMemory.pageCount());
    }

    /** The memory served. */
    public GuestMemory memory() {
        return memory;
    }

    /**
     * Sends page {@code pageIndex} to {@code sink} unless it was already sent, and moves the background stream
     * to continue right after it.
     *
     * @return true if the page was sent by this call
     * @throws io.postcopy.engine.error.PageOutOfRangeException for a bad index (nothing is sent)
     */
    public boolean serveDemand(long pageIndex, PageSink sink) {
        memory.geometry().checkPageIndex(pageIndex);
        backgroundCursor.set(pageIndex + 1 < memory.pageCount() ? pageIndex + 1 : 0);
        if (!sent.casSet(pageIndex)) {
            alreadySent.incrementAndGet();
            return false;
        }
        deliver(pageIndex, sink, PageOrigin.DEMAND);
        return true;
    }

    /**
     * Sends up to {@code maxPages} pages that were not sent yet, starting at the background cursor.
     *
     * @return the number sent; 0 once every page has been sent
     */
    public int pushBackground(PageSink sink, int maxPages) {
        int pushed = 0;
        while (pushed < maxPages) {
            long pageIndex = claimNextUnsent();
            if (pageIndex < 0) {
                break;
            }
            deliver(pageIndex, sink, PageOrigin.BACKGROUND);
            pushed++;
        }
        return pushed;
    }

    /**
     * Claims the next unsent page for the caller to send itself (a transport that batches contiguous pages).
     *
     * @return the page index, or -1 once every page has been claimed
     */
    public long claimNextUnsent() {
        while (true) {
            long from = backgroundCursor.get();
            long pageIndex = sent.nextClear(from);
            if (pageIndex < 0 && from > 0) {
                pageIndex = sent.nextClear(0);
            }
            if (pageIndex < 0) {
                return -1;
            }
            backgroundCursor.compareAndSet(from, pageIndex + 1 < memory.pageCount() ? pageIndex + 1 : 0);
            if (sent.casSet(pageIndex)) {
                return pageIndex;
            }
        }
    }

    /**
     * Extends a run that starts at {@code firstPageIndex}, a page the caller has just claimed ({@link
     * #claimNextUnsent}), with the pages right after it that are not sent yet, claiming each, up to {@code
     * maxPages} pages in all; the run stops at the first page already sent (or being sent) and at the end of
     * memory. Moves the background cursor past the run. The caller sends the whole run itself ({@link
     * #deliverRun}).
     *
     * @param firstPageIndex a page this caller claimed
     * @param maxPages       longest run, at least 1
     * @return the run's length in pages, 1..maxPages
     */
    public int claimFollowing(long firstPageIndex, int maxPages) {
        long pageCount = memory.pageCount();
        int count = 1;
        while (count < maxPages && firstPageIndex + count < pageCount && sent.casSet(firstPageIndex + count)) {
            count++;
        }
        long end = firstPageIndex + count;
        backgroundCursor.compareAndSet(firstPageIndex + 1, end < pageCount ? end : 0);
        return count;
    }

    /** True once every page has been sent. */
    public boolean isAllSent() {
        return sent.isFull();
    }

    /** Pages sent so far. */
    public long sentPageCount() {
        return sent.cardinality();
    }

    /** Digests of the pages as they were sent. */
    public PageDigests digests() {
        return digests;
    }

    /** Non-zero pages sent for demand requests. */
    public long demandPages() {
        return demandPages.get();
    }

    /** Non-zero pages sent by the background stream (or precopy). */
    public long backgroundPages() {
        return backgroundPages.get();
    }

    /** Pages sent as a zero encoding, whatever their origin. */
    public long zeroPages() {
        return zeroPages.get();
    }

    /** Demand requests for pages that had already been sent. */
    public long requestsForSentPages() {
        return alreadySent.get();
    }

    /**
     * Reads a claimed page, records its digest and hands it to {@code sink}, as a zero page if it is all zeros.
     * Public for transports that claim pages themselves.
     */
    public void deliver(long pageIndex, PageSink sink, PageOrigin origin) {
        MemorySegment page = memory.page(pageIndex);
        if (recordDigests) {
            digests.record(pageIndex, page);
        }
        if (isZero(page)) {
            zeroPages.incrementAndGet();
            sink.onZeroPage(pageIndex, origin);
        } else {
            (switch (origin) {
                case DEMAND -> demandPages;
                case BACKGROUND -> backgroundPages;
                case PRECOPY -> precopyPages;
            }).incrementAndGet();
            sink.onPage(pageIndex, page, origin);
        }
        if (delivered.casSet(pageIndex)) {
            undelivered.decrementAndGet();
        }
    }

    /**
     * Reads a claimed run of contiguous pages, records their digests and hands them to {@code sink} as runs: each
     * maximal stretch of all-zero pages as one {@link PageSink#onZeroPageRun}, each stretch of the others as one
     * {@link PageSink#onPageRun} over the memory itself (no copy). Counts and delivery marks are exactly those of
     * {@link #deliver} page by page. For transports that claim runs themselves.
     *
     * @param firstPageIndex the first page of the run, all of it claimed by the caller
     * @param pageCount      at least 1
     */
    public void deliverRun(long firstPageIndex, int pageCount, PageSink sink, PageOrigin origin) {
        int start = 0;
        boolean zero = isZero(memory.page(firstPageIndex));
        while (start < pageCount) {
            int end = start + 1;
            boolean nextZero = zero;
            while (end < pageCount && (nextZero = isZero(memory.page(firstPageIndex + end))) == zero) {
                end++;
            }
            deliverStretch(firstPageIndex + start, end - start, zero, sink, origin);
            start = end;
            zero = nextZero;
        }
    }

    private void deliverStretch(long firstPageIndex, int pageCount, boolean zero, PageSink sink, PageOrigin origin) {
        MemorySegment stretch = memory.segment().asSlice(memory.geometry().pageOffset(firstPageIndex),
            (long) pageCount * memory.pageSize());
        if (recordDigests) {
            for (int i = 0; i < pageCount; i++) {
                digests.record(firstPageIndex + i, memory.page(firstPageIndex + i));
            }
        }
        if (zero) {
            zeroPages.addAndGet(pageCount);
            sink.onZeroPageRun(firstPageIndex, pageCount, origin);
        } else {
            (switch (origin) {
                case DEMAND -> demandPages;
                case BACKGROUND -> backgroundPages;
                case PRECOPY -> precopyPages;
            }).addAndGet(pageCount);
            sink.onPageRun(firstPageIndex, stretch, pageCount, origin);
        }
        int newlyDelivered = 0;
        for (int i = 0; i < pageCount; i++) {
            if (delivered.casSet(firstPageIndex + i)) {
                newlyDelivered++;
            }
        }
        undelivered.addAndGet(-newlyDelivered);
    }

    /**
     * Precopy: sends the {@code pageCount} contiguous pages from {@code firstPageIndex} as runs ({@link
     * #deliverRun}), like {@link #sendPrecopy} for each.
     */
    public void sendPrecopyRun(long firstPageIndex, int pageCount, PageSink sink) {
        for (int i = 0; i < pageCount; i++) {
            sent.casSet(firstPageIndex + i);
        }
        deliverRun(firstPageIndex, pageCount, sink, PageOrigin.PRECOPY);
    }

    /**
     * Precopy: sends page {@code pageIndex} while the VM may still write it (again, if it was sent before). The
     * caller took the page's dirty bit before calling, so a write racing with this copy dirties it again.
     */
    public void sendPrecopy(long pageIndex, PageSink sink) {
        sent.casSet(pageIndex);
        deliver(pageIndex, sink, PageOrigin.PRECOPY);
    }

    /**
     * Switchover of a hybrid migration: page {@code pageIndex} was sent during precopy and written since, so it
     * counts as not sent: post-copy sends it again (the destination discards its stale copy first).
     *
     * @return true if the page had been delivered (the destination holds a stale copy to discard)
     */
    public boolean markStale(long pageIndex) {
        sent.casClear(pageIndex);
        if (delivered.casClear(pageIndex)) {
            undelivered.incrementAndGet();
            return true;
        }
        return false;
    }

    /**
     * Recovery after a network loss: the destination's RECEIVED_BITMAP for a run of pages is the truth. A page it
     * holds counts as sent and delivered; one it does not hold counts as never sent (it was lost in flight, or never
     * went out), so demand and background send it again, once. Call only while nothing serves pages (every
     * connection of the lost generation has closed and the new ones do not serve yet).
     *
     * @param firstPageIndex the page of bit 0 of {@code words[0]}
     * @param words          bit {@code b} of word {@code w} set iff page {@code firstPageIndex + 64 w + b} is held;
     *                       bits past the last page are ignored
     * @return how many pages of the run become unsent by this call (sent before, not held by the destination)
     */
    public long adoptReceived(long firstPageIndex, long[] words) {
        long pageCount = memory.pageCount();
        long resent = 0;
        for (int w = 0; w < words.length; w++) {
            for (int b = 0; b < Long.SIZE; b++) {
                long pageIndex = firstPageIndex + (long) w * Long.SIZE + b;
                if (pageIndex >= pageCount) {
                    return resent;
                }
                if ((words[w] & (1L << b)) != 0) {
                    sent.casSet(pageIndex);
                    if (delivered.casSet(pageIndex)) {
                        undelivered.decrementAndGet();
                    }
                } else {
                    if (sent.casClear(pageIndex)) {
                        resent++;
                    }
                    if (delivered.casClear(pageIndex)) {
                        undelivered.incrementAndGet();
                    }
                }
            }
        }
        return resent;
    }

    /** Non-zero pages sent by precopy rounds (re-sends included). */
    public long precopyPages() {
        return precopyPages.get();
    }

    /**
     * True once every page has been handed to a sink and its digest recorded (not merely claimed): the moment
     * the digest table is final.
     */
    public boolean isAllDelivered() {
        return undelivered.get() == 0;
    }

    /**
     * True if every byte of {@code page} is zero. Compares against zeros with {@link MemorySegment#mismatch}, which
     * the JIT vectorises, in 4 KiB steps (pages are whole multiples of 4 KiB; any rest is compared too).
     */
    public static boolean isZero(MemorySegment page) {
        long size = page.byteSize();
        for (long offset = 0; offset < size; offset += ZEROS.byteSize()) {
            long length = Math.min(ZEROS.byteSize(), size - offset);
            if (MemorySegment.mismatch(page, offset, offset + length, ZEROS, 0, length) >= 0) {
                return false;
            }
        }
        return true;
    }
}
