package io.postcopy.engine.migration;

import io.postcopy.engine.backend.BackendKind;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.InstallObserver;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.memory.GuestMemory;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A backend that delegates everything and records each install call as "pages first+count", "page p",
 * "zeros first+count" or "zero p".
 */
final class CountingBackend implements FaultBackend {
    private final FaultBackend delegate;
    private final List<String> calls = new CopyOnWriteArrayList<>();

    CountingBackend(FaultBackend delegate) {
        this.delegate = delegate;
    }

    /** The install calls so far, in order: {@code "pages 3+4"}, {@code "page 9"}, {@code "zeros 5+2"}, ... */
    List<String> calls() {
        return List.copyOf(calls);
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
    public boolean overwritePage(long pageIndex, MemorySegment content) {
        return delegate.overwritePage(pageIndex, content);
    }

    @Override
    public boolean installPage(long pageIndex, MemorySegment content) {
        calls.add("page " + pageIndex);
        return delegate.installPage(pageIndex, content);
    }

    @Override
    public int installPages(long firstPageIndex, MemorySegment contiguousContent, int pageCount) {
        calls.add("pages " + firstPageIndex + "+" + pageCount);
        return delegate.installPages(firstPageIndex, contiguousContent, pageCount);
    }

    @Override
    public boolean installZeroPage(long pageIndex) {
        calls.add("zero " + pageIndex);
        return delegate.installZeroPage(pageIndex);
    }

    @Override
    public int installZeroPages(long firstPageIndex, int pageCount) {
        calls.add("zeros " + firstPageIndex + "+" + pageCount);
        return delegate.installZeroPages(firstPageIndex, pageCount);
    }

    @Override
    public void discard(long pageIndex) {
        delegate.discard(pageIndex);
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
