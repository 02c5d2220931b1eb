package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.memory.PageBitmap;

import java.util.concurrent.locks.StampedLock;

/**
 * The backend's own per-page bits, next to the engine's {@code cached} and {@code faulted}:
 * <ul>
 *   <li>{@code installing}: an install claimed the page; exactly one claim wins, so exactly one install copies.
 *   <li>{@code guestDiscarded}: the guest dropped the page ({@code UFFD_EVENT_REMOVE}, e.g. a balloon's
 *       {@code MADV_DONTNEED}) or unmapped it. The source's content is stale for good: arriving content is dropped
 *       and a touch is zero-filled locally. Sticky until a {@linkplain UffdBackend#discard backend discard}.
 *   <li>{@code discardIntent}: the backend itself is discarding the page (precopy stale content); the REMOVE event
 *       its own {@code madvise} raises must not be taken for a guest discard.
 *   <li>{@code unmapped}: the guest unmapped the page ({@code UFFD_EVENT_UNMAP}); accessors refuse it.
 *   <li>{@code removedBasePages} (2 MiB pages only): 4 KiB base pages the guest removed inside a page it did not
 *       remove whole. The kernel's semantics for anonymous memory, per base page: they read as zeros from now on
 *       (a touch is zero-filled locally, arriving content has them zeroed), the rest of the page is the source's
 *       content (or the guest's writes), and nothing is fetched again for them. Cleared by a
 *       {@linkplain UffdBackend#discard backend discard} of the page.
 * </ul>
 */
final class UffdPageStates {
    /** The kernel's base page: what a REMOVE zaps and a fault reports, also inside a 2 MiB guest page. */
    static final long BASE_PAGE_SIZE = 4096;

    final PageBitmap installing;
    final PageBitmap guestDiscarded;
    final PageBitmap discardIntent;
    final PageBitmap unmapped;
    /**
     * Orders installs of source content against guest discards. The kernel zaps a REMOVE range only after the
     * handler read the event, so an install between that read and the event's processing could land after the
     * zap and resurrect stale content. Installs of source content hold this lock shared from their
     * {@code guestDiscarded} check to the end of their COPY; the handler holds it exclusively from {@code read()}
     * until the batch's REMOVE/UNMAP events are processed.
     */
    final StampedLock removeLock = new StampedLock();
    /** Set once any page was unmapped: accessors then also check {@link #unmapped}, otherwise they skip it. */
    volatile boolean anyUnmapped;
    /**
     * Set if the handler could not map a hole the guest unmapped back ({@link UffdFaultHandler}): a thread blocked
     * in it must then never be woken, and guest RAM must not be unmapped as a whole (see {@link UffdBackend}).
     */
    volatile boolean unmappedHoleLost;
    /** Null for 4 KiB pages, where a REMOVE always covers whole pages. */
    private final PageBitmap removedBasePages;
    /** Set once any base page was removed: {@link #isRemovedBasePage} and installs skip the bitmap until then. */
    private volatile boolean anyRemovedBasePages;
    private final long basePagesPerPage;

    UffdPageStates(MemoryGeometry geometry) {
        long pageCount = geometry.pageCount();
        installing = new PageBitmap(pageCount);
        guestDiscarded = new PageBitmap(pageCount);
        discardIntent = new PageBitmap(pageCount);
        unmapped = new PageBitmap(pageCount);
        basePagesPerPage = geometry.pageSize() / BASE_PAGE_SIZE;
        removedBasePages = basePagesPerPage > 1 ? new PageBitmap(geometry.lengthInBytes() / BASE_PAGE_SIZE) : null;
    }

    boolean isUnmapped(long pageIndex) {
        return anyUnmapped && unmapped.lvIsSet(pageIndex);
    }

    /**
     * The guest removed the base pages covering guest offsets {@code [fromOffset, toOffset)}, which lie inside one
     * page it did not remove whole. No-op for 4 KiB pages.
     */
    void markRemovedBasePages(long fromOffset, long toOffset) {
        if (removedBasePages == null || toOffset <= fromOffset) {
            return;
        }
        for (long b = fromOffset / BASE_PAGE_SIZE; b < Math.ceilDiv(toOffset, BASE_PAGE_SIZE); b++) {
            removedBasePages.casSet(b);
        }
        anyRemovedBasePages = true;
    }

    /** True if the base page holding guest offset {@code offset} was removed by the guest (it reads as zeros). */
    boolean isRemovedBasePage(long offset) {
        return anyRemovedBasePages && removedBasePages.lvIsSet(offset / BASE_PAGE_SIZE);
    }

    /** True if any base page of page {@code pageIndex} was removed by the guest. */
    boolean hasRemovedBasePages(long pageIndex) {
        if (!anyRemovedBasePages) {
            return false;
        }
        long first = pageIndex * basePagesPerPage;
        long next = removedBasePages.nextSet(first);
        return next >= 0 && next < first + basePagesPerPage;
    }

    /** Page {@code pageIndex} is to be refilled whole from the source: forgets its removed base pages. */
    void clearRemovedBasePages(long pageIndex) {
        if (!hasRemovedBasePages(pageIndex)) {
            return;
        }
        long first = pageIndex * basePagesPerPage;
        for (long b = first; b < first + basePagesPerPage; b++) {
            removedBasePages.casClear(b);
        }
    }
}
