package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.memory.PageBitmap;

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
    /** Set once any page was unmapped: accessors then also check {@link #unmapped}, otherwise they skip it. */
    volatile boolean anyUnmapped;

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
