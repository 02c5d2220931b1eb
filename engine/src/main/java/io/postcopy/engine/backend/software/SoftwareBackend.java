package io.postcopy.engine.backend.software;

import io.postcopy.engine.backend.BackendKind;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.InstallObserver;
import io.postcopy.engine.backend.PageWrites;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.PageBitmap;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The portable backend: guest RAM is an ordinary off-heap segment, and accessors check the page's
 * {@code cached} bit before each access, faulting into the engine on a miss.
 *
 * <p>An install copies the bytes into guest memory and then publishes them with the release store of the
 * cached bit. A per-page claim makes sure exactly one install of a page copies: a late duplicate never
 * overwrites what the guest has written since.
 */
public final class SoftwareBackend implements FaultBackend {
    private final GuestMemory memory;
    private final FaultEngine engine;
    private final PageBitmap installing;
    private final SoftwareAccessor[] vcpuAccessors;
    private final SoftwareAccessor hostAccessor;
    private volatile InstallObserver observer = InstallObserver.NONE;

    /**
     * Allocates guest memory of {@code context.geometry()} with every page missing.
     *
     * @param context the fault engine's settings; {@code syncSlots} is the number of vCPUs
     */
    public SoftwareBackend(FaultEngineContext context) {
        this.memory = GuestMemory.allocate(context.geometry());
        this.engine = new FaultEngine(context);
        this.installing = new PageBitmap(context.geometry().pageCount());
        this.vcpuAccessors = new SoftwareAccessor[context.syncSlots()];
        for (int vcpu = 0; vcpu < vcpuAccessors.length; vcpu++) {
            vcpuAccessors[vcpu] = new SoftwareAccessor(memory, engine, vcpu);
        }
        this.hostAccessor = new SoftwareAccessor(memory, engine, SoftwareAccessor.HOST);
    }

    @Override
    public BackendKind kind() {
        return BackendKind.SOFTWARE;
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public FaultEngine engine() {
        return engine;
    }

    @Override
    public GuestAccessor vcpuAccessor(int vcpuId) {
        Objects.checkIndex(vcpuId, vcpuAccessors.length);
        return vcpuAccessors[vcpuId];
    }

    @Override
    public GuestAccessor hostAccessor() {
        return hostAccessor;
    }

    @Override
    public boolean installPage(long pageIndex, MemorySegment content) {
        MemorySegment page = memory.page(pageIndex);
        PageWrites.checkOnePage(content, page.byteSize());
        if (engine.isCached(pageIndex) || !installing.casSet(pageIndex)) {
            return false;
        }
        MemorySegment.copy(content, 0, page, 0, page.byteSize());
        observer.onInstall(pageIndex, page);
        return engine.markCached(pageIndex);
    }

    @Override
    public boolean overwritePage(long pageIndex, MemorySegment content) {
        return PageWrites.overwritePresent(engine, pageIndex, memory.page(pageIndex), content, observer);
    }

    @Override
    public boolean installZeroPage(long pageIndex) {
        MemorySegment page = memory.page(pageIndex);
        if (engine.isCached(pageIndex) || !installing.casSet(pageIndex)) {
            return false;
        }
        page.fill((byte) 0);
        observer.onInstall(pageIndex, page);
        return engine.markCached(pageIndex);
    }

    /**
     * Makes a present page missing again (its content went stale), so that its next install is accepted.
     * Callers make sure no guest thread runs while pages are discarded (switchover).
     */
    @Override
    public void discard(long pageIndex) {
        engine.markMissing(pageIndex);
        installing.casClear(pageIndex);
    }

    @Override
    public void setInstallObserver(InstallObserver newObserver) {
        this.observer = Objects.requireNonNull(newObserver, "observer");
    }

    @Override
    public void close() {
        engine.close();
        memory.close();
    }
}
