package io.postcopy.engine.backend.uffd;

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
 * </ul>
 */
final class UffdPageStates {
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

    UffdPageStates(long pageCount) {
        installing = new PageBitmap(pageCount);
        guestDiscarded = new PageBitmap(pageCount);
        discardIntent = new PageBitmap(pageCount);
        unmapped = new PageBitmap(pageCount);
    }

    boolean isUnmapped(long pageIndex) {
        return anyUnmapped && unmapped.lvIsSet(pageIndex);
    }
}
