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

    PacedBackend(FaultBackend delegate, long intervalNs) {
        this.delegate = delegate;
        this.intervalNs = intervalNs;
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
    public boolean installPage(long pageIndex, MemorySegment content) {
        return delegate.installPage(pageIndex, content);
    }

    @Override
    public int installPages(long firstPageIndex, MemorySegment contiguousContent, int pageCount) {
        return delegate.installPages(firstPageIndex, contiguousContent, pageCount);
    }

    @Override
    public boolean installZeroPage(long pageIndex) {
        return delegate.installZeroPage(pageIndex);
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
