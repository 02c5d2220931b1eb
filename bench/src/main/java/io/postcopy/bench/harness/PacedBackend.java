package io.postcopy.bench.harness;

import io.postcopy.engine.backend.BackendKind;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.InstallObserver;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.memory.GuestMemory;
import org.HdrHistogram.Histogram;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fault backend that hands the destination's vCPUs {@link PacedAccessor}s and passes everything else straight
 * to the real backend (installs, batches, the host accessor): the bench's hook for a paced guest, since the
 * destination builds its VM from the workload's name.
 *
 * <p>{@link #vcpuAccessor} is called by the destination while it builds the VM; the figures are read after the
 * migration returned (its vCPU threads have been joined by then).
 */
final class PacedBackend implements FaultBackend {
    private final FaultBackend delegate;
    private final long intervalNs;
    private final List<PacedAccessor> accessors = new ArrayList<>();
    private final long pageCount;
    /** Pages installed through this backend minus pages discarded: all present when it reaches the page count. */
    private final AtomicLong present = new AtomicLong();
    private volatile long lastCompleteNanos;

    PacedBackend(FaultBackend delegate, long intervalNs) {
        this.delegate = delegate;
        this.intervalNs = intervalNs;
        this.pageCount = delegate.memory().pageCount();
    }

    /** {@link System#nanoTime()} when the last missing page was installed, 0 if memory never became complete. */
    long lastCompleteNanos() {
        return lastCompleteNanos;
    }

    private void installed(long pages) {
        if (pages > 0 && present.addAndGet(pages) == pageCount) {
            lastCompleteNanos = System.nanoTime();
        }
    }

    @Override
    public BackendKind kind() {
        return delegate.kind();
    }

    @Override
    public GuestMemory memory() {
        return delegate.memory();
    }

    @Override
    public FaultEngine engine() {
        return delegate.engine();
    }

    @Override
    public synchronized GuestAccessor vcpuAccessor(int vcpuId) {
        PacedAccessor accessor = new PacedAccessor(delegate.vcpuAccessor(vcpuId), delegate.engine(), intervalNs);
        accessors.add(accessor);
        return accessor;
    }

    @Override
    public GuestAccessor hostAccessor() {
        return delegate.hostAccessor();
    }

    @Override
    public boolean overwritePage(long pageIndex, MemorySegment content) {
        return delegate.overwritePage(pageIndex, content);
    }

    @Override
    public boolean installPage(long pageIndex, MemorySegment content) {
        boolean installed = delegate.installPage(pageIndex, content);
        installed(installed ? 1 : 0);
        return installed;
    }

    @Override
    public int installPages(long firstPageIndex, MemorySegment contiguousContent, int count) {
        int installed = delegate.installPages(firstPageIndex, contiguousContent, count);
        installed(installed);
        return installed;
    }

    @Override
    public boolean installZeroPage(long pageIndex) {
        boolean installed = delegate.installZeroPage(pageIndex);
        installed(installed ? 1 : 0);
        return installed;
    }

    @Override
    public int installZeroPages(long firstPageIndex, int count) {
        int installed = delegate.installZeroPages(firstPageIndex, count);
        installed(installed);
        return installed;
    }

    /** Precopy's stale pages: missing again, so memory is complete only once they arrived once more. */
    @Override
    public void discard(long pageIndex) {
        boolean wasPresent = delegate.engine().isCached(pageIndex);
        delegate.discard(pageIndex);
        if (wasPresent) {
            present.decrementAndGet();
        }
    }

    /**
     * A run of stale pages, delegated as one call so that the wrapped backend keeps its one-madvise range discard
     * (the interface's default would discard page by page).
     */
    @Override
    public void discard(long firstPageIndex, long pageCount) {
        long wasPresent = 0;
        for (long p = firstPageIndex; p < firstPageIndex + pageCount; p++) {
            wasPresent += delegate.engine().isCached(p) ? 1 : 0;
        }
        delegate.discard(firstPageIndex, pageCount);
        present.addAndGet(-wasPresent);
    }

    @Override
    public void setInstallObserver(InstallObserver observer) {
        delegate.setInstallObserver(observer);
    }

    @Override
    public void close() {
        delegate.close();
    }

    /** What the paced vCPUs saw, all vCPUs together. */
    synchronized GuestObservation observation() {
        Histogram corrected = new Histogram(3);
        Histogram uncorrected = new Histogram(3);
        long touches = 0;
        long[] union = null;
        for (PacedAccessor accessor : accessors) {
            corrected.add(accessor.correctedNs());
            uncorrected.add(accessor.uncorrectedNs());
            touches += accessor.touches();
            long[] pages = accessor.touchedPages();
            if (union == null) {
                union = pages.clone();
            } else {
                for (int i = 0; i < union.length; i++) {
                    union[i] |= pages[i];
                }
            }
        }
        long distinct = 0;
        if (union != null) {
            for (long word : union) {
                distinct += Long.bitCount(word);
            }
        }
        return new GuestObservation(corrected, uncorrected, touches, distinct);
    }

    /**
     * @param correctedNs   fault latencies corrected for coordinated omission, in ns
     * @param uncorrectedNs fault latencies as measured, in ns
     * @param touches       paced page touches
     * @param distinctPages pages touched at least once: the guest's working set during the migration
     */
    record GuestObservation(Histogram correctedNs, Histogram uncorrectedNs, long touches, long distinctPages) {
    }
}
