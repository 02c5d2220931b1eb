package io.postcopy.transport;

import io.postcopy.engine.backend.BackendKind;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.InstallObserver;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.memory.GuestMemory;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Delegates everything and records how pages were installed: single pages, or runs (and the longest run). */
final class RunRecordingBackend implements FaultBackend {
    private final FaultBackend delegate;
    final AtomicLong singlePages = new AtomicLong();
    final AtomicLong pageRuns = new AtomicLong();
    final AtomicLong zeroRuns = new AtomicLong();
    final AtomicInteger longestRun = new AtomicInteger();

    RunRecordingBackend(FaultBackend delegate) {
        this.delegate = delegate;
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
    public GuestAccessor vcpuAccessor(int vcpuId) {
        return delegate.vcpuAccessor(vcpuId);
    }

    @Override
    public GuestAccessor hostAccessor() {
        return delegate.hostAccessor();
    }

    @Override
    public boolean installPage(long pageIndex, MemorySegment content) {
        singlePages.incrementAndGet();
        return delegate.installPage(pageIndex, content);
    }

    @Override
    public int installPages(long firstPageIndex, MemorySegment contiguousContent, int pageCount) {
        pageRuns.incrementAndGet();
        longestRun.accumulateAndGet(pageCount, Math::max);
        return delegate.installPages(firstPageIndex, contiguousContent, pageCount);
    }

    @Override
    public boolean installZeroPage(long pageIndex) {
        singlePages.incrementAndGet();
        return delegate.installZeroPage(pageIndex);
    }

    @Override
    public int installZeroPages(long firstPageIndex, int pageCount) {
        zeroRuns.incrementAndGet();
        longestRun.accumulateAndGet(pageCount, Math::max);
        return delegate.installZeroPages(firstPageIndex, pageCount);
    }

    @Override
    public void discard(long pageIndex) {
        delegate.discard(pageIndex);
    }

    @Override
    public void discard(long firstPageIndex, long pageCount) {
        delegate.discard(firstPageIndex, pageCount);
    }

    @Override
    public boolean overwritePage(long pageIndex, MemorySegment content) {
        return delegate.overwritePage(pageIndex, content);
    }

    @Override
    public void abortFaults() {
        delegate.abortFaults();
    }

    @Override
    public void setInstallObserver(InstallObserver observer) {
        delegate.setInstallObserver(observer);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
