package io.postcopy.engine.backend;

import io.postcopy.engine.fault.FaultEngine;

import java.lang.foreign.MemorySegment;

/** Page writes the backends share: the content check and the in-place overwrite of a present page. */
public final class PageWrites {
    private PageWrites() {
    }

    /**
     * Checks that {@code content} is exactly one page.
     *
     * @throws IllegalArgumentException naming both sizes otherwise
     */
    public static void checkOnePage(MemorySegment content, long pageSizeInBytes) {
        if (content.byteSize() != pageSizeInBytes) {
            throw new IllegalArgumentException("content of " + content.byteSize() + " bytes for a page of "
                + pageSizeInBytes);
        }
    }

    /**
     * {@link FaultBackend#overwritePage}: copies {@code content} over {@code page} if the page is present. A present
     * page takes no fault, so a plain copy is safe from any Java thread, for the userfaultfd backend too.
     *
     * @return true if the page was present and now holds {@code content}
     */
    public static boolean overwritePresent(FaultEngine engine, long pageIndex, MemorySegment page,
                                           MemorySegment content, InstallObserver observer) {
        checkOnePage(content, page.byteSize());
        if (!engine.isCached(pageIndex)) {
            return false;
        }
        MemorySegment.copy(content, 0, page, 0, page.byteSize());
        observer.onInstall(pageIndex, page);
        return true;
    }
}
