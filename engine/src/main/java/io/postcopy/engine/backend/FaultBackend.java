package io.postcopy.engine.backend;

import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.MemoryGeometry;

import java.lang.foreign.MemorySegment;

/**
 * A fault mechanism: destination guest RAM whose missing pages fault into a {@link FaultEngine}, plus the way to
 * install arriving pages. The software and userfaultfd backends pass the same contract suite.
 *
 * <p>Install methods may be called by any thread, concurrently, also for the same page; exactly one install of a
 * page wins and the others report a duplicate.
 */
public interface FaultBackend extends AutoCloseable {
    /** Which mechanism this is. */
    BackendKind kind();

    /** The guest RAM. Raw access to it bypasses fault checks: use accessors for guest code. */
    GuestMemory memory();

    /** The engine tracking present and requested pages. */
    FaultEngine engine();

    /**
     * The accessor for vCPU {@code vcpuId}: its faults wait in sync slot {@code vcpuId}.
     *
     * @param vcpuId 0 &lt;= vcpuId &lt; engine().syncSlots()
     */
    GuestAccessor vcpuAccessor(int vcpuId);

    /**
     * The accessor for Java-side host code (devices, the verifier): it checks the cached bit first and waits in
     * Java, so it never takes a kernel fault (the safepoint rule of shared/DESIGN.md).
     */
    GuestAccessor hostAccessor();

    /**
     * Installs a page's content and wakes its waiters.
     *
     * @param pageIndex the page
     * @param content   exactly one page
     * @return true if installed, false if the page was already present (nothing changed: a duplicate)
     */
    boolean installPage(long pageIndex, MemorySegment content);

    /**
     * Installs {@code pageCount} contiguous pages from one buffer, as one batch where the mechanism allows it
     * (one {@code UFFDIO_COPY} per run of missing pages): the background stream's path. Each page is installed
     * at most once, exactly as by {@link #installPage}; pages already present (or being installed) are skipped.
     *
     * @param firstPageIndex     the first page
     * @param contiguousContent  exactly {@code pageCount} pages of bytes, page {@code firstPageIndex} first
     * @param pageCount          number of pages, at least 1
     * @return how many of the pages this call installed
     * @throws io.postcopy.engine.error.PageOutOfRangeException if any page of the batch is out of range, before
     *     anything is installed
     * @throws IllegalArgumentException if the content is not exactly {@code pageCount} pages long
     */
    default int installPages(long firstPageIndex, MemorySegment contiguousContent, int pageCount) {
        MemoryGeometry geometry = memory().geometry();
        if (pageCount < 1) {
            throw new IllegalArgumentException("pageCount=" + pageCount + " (expected: >= 1)");
        }
        geometry.checkPageIndex(firstPageIndex);
        geometry.checkPageIndex(firstPageIndex + pageCount - 1);
        long pageSize = geometry.pageSize();
        if (contiguousContent.byteSize() != pageCount * pageSize) {
            throw new IllegalArgumentException("content of " + contiguousContent.byteSize() + " bytes for "
                + pageCount + " pages of " + pageSize);
        }
        int installed = 0;
        for (int i = 0; i < pageCount; i++) {
            if (installPage(firstPageIndex + i, contiguousContent.asSlice(i * pageSize, pageSize))) {
                installed++;
            }
        }
        return installed;
    }

    /**
     * Installs a page of zeros and wakes its waiters.
     *
     * @return true if installed, false if the page was already present
     */
    boolean installZeroPage(long pageIndex);

    /**
     * Installs {@code pageCount} contiguous pages of zeros, as one batch where the mechanism allows it (one {@code
     * UFFDIO_ZEROPAGE} per run of missing pages), each exactly as by {@link #installZeroPage}.
     *
     * @return how many of the pages this call installed
     * @throws io.postcopy.engine.error.PageOutOfRangeException if any page of the run is out of range, before
     *     anything is installed
     * @throws IllegalArgumentException if {@code pageCount < 1}
     */
    default int installZeroPages(long firstPageIndex, int pageCount) {
        if (pageCount < 1) {
            throw new IllegalArgumentException("pageCount=" + pageCount + " (expected: >= 1)");
        }
        memory().geometry().checkPageIndex(firstPageIndex);
        memory().geometry().checkPageIndex(firstPageIndex + pageCount - 1);
        int installed = 0;
        for (int i = 0; i < pageCount; i++) {
            if (installZeroPage(firstPageIndex + i)) {
                installed++;
            }
        }
        return installed;
    }

    /**
     * Makes a present page missing again because its content went stale (precopy sent it, then the source VM
     * wrote it again): its next fault fetches it from the source, and its next arriving content is installed.
     * Called at switchover, while no destination vCPU runs, never from a backend's own handler thread.
     *
     * @throws io.postcopy.engine.error.PageOutOfRangeException for a bad index
     */
    void discard(long pageIndex);

    /**
     * Discards {@code pageCount} contiguous pages, as {@link #discard(long)} does each, in one step where the
     * mechanism allows it (one {@code madvise} for userfaultfd).
     *
     * @throws io.postcopy.engine.error.PageOutOfRangeException if the range leaves guest memory, before anything
     *     is discarded
     */
    default void discard(long firstPageIndex, long pageCount) {
        memory().geometry().checkPageIndex(firstPageIndex);
        memory().geometry().checkPageIndex(firstPageIndex + pageCount - 1);
        for (long page = firstPageIndex; page < firstPageIndex + pageCount; page++) {
            discard(page);
        }
    }

    /**
     * Replaces the content of a page that is present, in place: a later precopy round re-sending a page the VM
     * wrote since. Only while no destination vCPU runs (precopy pages arrive before switchover). The install
     * observer sees the new content.
     *
     * @return true if the page was present and now holds {@code content}; false (nothing changed) if it is missing
     * @throws IllegalArgumentException if {@code content} is not exactly one page
     */
    boolean overwritePage(long pageIndex, MemorySegment content);

    /**
     * The migration failed (the source is gone): every thread waiting for a page stops waiting, so that the VM
     * can be stopped rather than hang until its fault deadline. Java waiters fail at once with {@code TIMEOUT};
     * a mechanism that blocks threads in the kernel releases them. What the guest reads afterwards is not
     * trustworthy; the VM is only being torn down. Idempotent; {@link #close()} is still required.
     */
    default void abortFaults() {
        engine().close();
    }

    /** Sets the observer that sees each page's content as installed (replaces the previous one). */
    void setInstallObserver(InstallObserver observer);

    /** Stops the engine and releases guest memory. Called once. */
    @Override
    void close();
}
