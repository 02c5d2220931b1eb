package io.postcopy.transport;

/** Observes a migration's progress; called from a timer thread about every 100 ms, keep it short. */
@FunctionalInterface
public interface MigrationProgress {
    /** Ignores progress. */
    MigrationProgress NONE = (installed, total) -> { };

    /**
     * @param pagesInstalled pages present on the destination so far
     * @param pageCount      pages in all
     */
    void onProgress(long pagesInstalled, long pageCount);
}
