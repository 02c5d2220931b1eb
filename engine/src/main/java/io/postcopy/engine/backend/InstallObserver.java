package io.postcopy.engine.backend;

import java.lang.foreign.MemorySegment;

/**
 * Sees each page's content exactly as installed, before any guest thread can see or change it: the hook for
 * the integrity check (page digests at install time).
 */
@FunctionalInterface
public interface InstallObserver {
    /** Observes nothing. */
    InstallObserver NONE = (pageIndex, content) -> { };

    /**
     * @param pageIndex the page being installed
     * @param content   its bytes as installed, valid only during the call
     */
    void onInstall(long pageIndex, MemorySegment content);
}
