package io.postcopy.engine.backend.uffd;

import io.micrometer.core.instrument.Counter;
import io.postcopy.engine.backend.BackendKind;
import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.InstallObserver;
import io.postcopy.engine.backend.PageWrites;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.nativeio.EventFd;
import io.postcopy.engine.nativeio.Mman;
import io.postcopy.engine.nativeio.UffdApi;
import io.postcopy.engine.nativeio.UffdStructs;
import io.postcopy.engine.nativeio.Userfaultfd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The userfaultfd backend: guest RAM is an anonymous mapping registered with Linux userfaultfd in MISSING
 * mode. A vCPU's first touch of a missing page is a kernel fault; the {@linkplain UffdFaultHandler handler agent}
 * reads it and sends the demand request itself; the thread that receives the page installs it with
 * {@code UFFDIO_COPY}, which wakes the vCPU. Two vCPUs faulting the same page cause one request.
 *
 * <p>Guest-initiated discards ({@code MADV_DONTNEED} on guest RAM, e.g. a balloon) arrive as
 * {@code UFFD_EVENT_REMOVE}: such a page is zero when next touched, filled locally, never fetched, and content
 * for it that arrives later is dropped. That differs from {@link #discard(long)}, the backend's own discard of
 * precopy-stale pages, after which the page is fetched from the source again.
 *
 * <p>2 MiB pages: guest RAM stays ordinary anonymous memory (4 KiB base pages in the kernel); a logical page is
 * 512 base pages. A fault on any base page requests the whole page once, and one {@code UFFDIO_COPY} of 2 MiB
 * installs it and wakes every thread blocked on any of its base pages. A guest discard (REMOVE) that covers whole
 * pages discards them as above. One that covers only part of a page follows the kernel's semantics for anonymous
 * memory, per 4 KiB base page: the removed base pages read as zeros from then on and the rest of the page keeps its
 * content. If the page is present, the kernel zapped those base pages and a touch zero-fills just the touched one.
 * If it is still missing, a touch of a removed base page is zero-filled at once (nothing fetched for it), the
 * arriving page is installed with its removed base pages zeroed (a base page the guest wrote meanwhile keeps the
 * guest's bytes), and the rest of the page comes from the source, fetched once, never stale. A backend discard of
 * the page forgets its removed base pages: it is then refilled whole from the source.
 *
 * <p>Per-vCPU blocktime: where the kernel grants {@code UFFD_FEATURE_THREAD_ID} ({@link #recordsVcpuBlocktime()}),
 * a vCPU accessor registers its thread's kernel id before the thread's first access, the handler maps each fault
 * message's thread id to its vCPU, and the install that wakes the vCPU records how long it was blocked (from the
 * handler's read of its fault) in {@code postcopy.vcpu.blocktime}. vCPU threads are platform threads: a virtual
 * thread's id would be its carrier's.
 *
 * <p>Threads: accessors as documented by {@link FaultBackend}; installs from any thread; {@link #close()} once,
 * after the vCPU threads stopped.
 */
public final class UffdBackend implements FaultBackend {
    /** The features asked of {@code UFFDIO_API}: exactly those the handler reacts to. */
    public static final long REQUIRED_FEATURES = UffdStructs.UFFD_FEATURE_EVENT_REMOVE
        | UffdStructs.UFFD_FEATURE_EVENT_UNMAP;
    /**
     * Asked for only where the kernel offers it: fault messages then name the faulting thread, which the backend
     * maps to its vCPU to record {@code postcopy.vcpu.blocktime}; without it that timer stays empty for kernel
     * faults and everything else works the same.
     */
    public static final long OPTIONAL_FEATURES = UffdStructs.UFFD_FEATURE_THREAD_ID;
    private static final Logger LOG = LoggerFactory.getLogger(UffdBackend.class);
    private static final long REQUIRED_RANGE_IOCTLS = 1L << UffdStructs.UFFDIO_COPY_BIT
        | 1L << UffdStructs.UFFDIO_ZEROPAGE_BIT | 1L << UffdStructs.UFFDIO_WAKE_BIT;

    private volatile InstallObserver observer = InstallObserver.NONE;
    private final MemoryGeometry geometry;
    private final Userfaultfd uffd;
    private final EventFd wakeup;
    private final GuestMemory memory;
    private final FaultEngine engine;
    private final UffdPageStates states;
    private final KernelFaultTimes faultTimes;
    private final UffdInstaller installer;
    private final UffdFaultHandler handler;
    private final UffdAccessor[] vcpuAccessors;
    private final UffdAccessor hostAccessor;
    private final boolean vcpuBlocktime;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Maps guest RAM of {@code context.geometry()}, opens a userfaultfd, negotiates {@link #REQUIRED_FEATURES}
     * and those of {@link #OPTIONAL_FEATURES} the kernel offers, registers the RAM and starts the handler agent.
     * Every page starts missing.
     *
     * @param context the fault engine's settings; {@code syncSlots} is the number of vCPUs
     * @throws PostcopyException ({@code NATIVE}) if userfaultfd cannot be set up, with the cause
     */
    public UffdBackend(FaultEngineContext context) {
        this(context, OPTIONAL_FEATURES);
    }

    /**
     * As {@link #UffdBackend(FaultEngineContext)}, asking for no optional feature beyond {@code optionalFeatures}
     * (tests use 0 to run as on a kernel that offers none).
     */
    UffdBackend(FaultEngineContext context, long optionalFeatures) {
        this.geometry = context.geometry();
        Arena arena = Arena.ofShared();
        Userfaultfd fd = null;
        EventFd eventFd = null;
        try {
            MemorySegment guest = Mman.mapAnonymous(arena, geometry.lengthInBytes(), geometry.pageSize());
            fd = Userfaultfd.open();
            UffdApi api = fd.api(REQUIRED_FEATURES | offeredOptionalFeatures(fd.route(), optionalFeatures));
            checkApi(api);
            this.vcpuBlocktime = api.isGranted(UffdStructs.UFFD_FEATURE_THREAD_ID);
            VcpuThreadIds vcpuThreads = vcpuBlocktime ? new VcpuThreadIds(context.syncSlots()) : null;
            long rangeIoctls = fd.register(guest, UffdStructs.UFFDIO_REGISTER_MODE_MISSING);
            if ((rangeIoctls & REQUIRED_RANGE_IOCTLS) != REQUIRED_RANGE_IOCTLS) {
                throw new PostcopyException(ErrorCode.NATIVE, "the registered range lacks COPY, ZEROPAGE or WAKE "
                    + "(ioctls=0x" + Long.toHexString(rangeIoctls) + ")");
            }
            eventFd = EventFd.open();
            this.uffd = fd;
            this.wakeup = eventFd;
            this.memory = GuestMemory.wrap(geometry, arena, guest);
            this.engine = new FaultEngine(context);
            this.states = new UffdPageStates(geometry);
            this.faultTimes = new KernelFaultTimes(engine);
            this.installer = new UffdInstaller(fd, guest, geometry, engine, states, faultTimes, arena,
                context.registry());
            Counter faults = Counter.builder("postcopy.uffd.faults")
                .description("page faults read from the userfaultfd").register(context.registry());
            this.handler = new UffdFaultHandler(fd, eventFd, engine, installer, states, faultTimes, vcpuThreads, guest,
                faults);
            this.vcpuAccessors = new UffdAccessor[context.syncSlots()];
            for (int vcpu = 0; vcpu < vcpuAccessors.length; vcpu++) {
                vcpuAccessors[vcpu] = UffdAccessor.forVcpu(guest, engine, states, installer, vcpuThreads, vcpu);
            }
            this.hostAccessor = UffdAccessor.forHost(guest, engine, states, installer);
            handler.start();
            LOG.debug("userfaultfd backend: {} pages of {} bytes, fd via {}, features 0x{} of 0x{}",
                geometry.pageCount(), geometry.pageSize(), fd.route(), Long.toHexString(api.requestedFeatures()),
                Long.toHexString(api.availableFeatures()));
        } catch (RuntimeException | Error e) {
            if (fd != null) {
                fd.close();
            }
            if (eventFd != null) {
                eventFd.close();
            }
            arena.close();
            throw e instanceof PostcopyException p && p.code() == ErrorCode.NATIVE ? p
                : new PostcopyException(ErrorCode.NATIVE, "cannot set up the userfaultfd backend: " + e, e);
        }
    }

    /** The optional features this kernel offers; none (logged) if asking fails: they are optional. */
    private static long offeredOptionalFeatures(Userfaultfd.OpenRoute route, long wanted) {
        if ((wanted & OPTIONAL_FEATURES) == 0) {
            return 0;
        }
        try {
            return Userfaultfd.offeredFeatures(route) & wanted & OPTIONAL_FEATURES;
        } catch (PostcopyException e) {
            LOG.info("userfaultfd: cannot tell which optional features the kernel offers ({}); going without "
                + "per-vCPU blocktime", e.getMessage());
            return 0;
        }
    }

    private static void checkApi(UffdApi api) {
        if (!api.isEnabled(REQUIRED_FEATURES)) {
            throw new PostcopyException(ErrorCode.NATIVE, "userfaultfd features 0x"
                + Long.toHexString(REQUIRED_FEATURES & ~api.requestedFeatures()) + " not granted");
        }
        long needed = 1L << UffdStructs.UFFDIO_REGISTER_BIT | 1L << UffdStructs.UFFDIO_UNREGISTER_BIT;
        if ((api.ioctls() & needed) != needed) {
            throw new PostcopyException(ErrorCode.NATIVE, "userfaultfd lacks REGISTER/UNREGISTER (ioctls=0x"
                + Long.toHexString(api.ioctls()) + ")");
        }
    }

    @Override
    public BackendKind kind() {
        return BackendKind.USERFAULTFD;
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public FaultEngine engine() {
        return engine;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Accesses are {@code memcpy} downcalls: a missing page blocks the thread in the kernel, in native state.
     */
    @Override
    public GuestAccessor vcpuAccessor(int vcpuId) {
        Objects.checkIndex(vcpuId, vcpuAccessors.length);
        return vcpuAccessors[vcpuId];
    }

    @Override
    public GuestAccessor hostAccessor() {
        return hostAccessor;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code UFFDIO_COPY}, which wakes the vCPUs blocked on the page. Content for a page the guest discarded is
     * dropped (false). The observer sees the content before the copy.
     *
     * @throws io.postcopy.engine.error.PageOutOfRangeException for a bad index
     * @throws IllegalArgumentException if {@code content} is not exactly one page
     */
    @Override
    public boolean installPage(long pageIndex, MemorySegment content) {
        geometry.checkPageIndex(pageIndex);
        PageWrites.checkOnePage(content, geometry.pageSize());
        return installer.installArriving(pageIndex, content, 1) == 1;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code UFFDIO_COPY} per run of pages that are missing, unclaimed and not guest-discarded.
     */
    @Override
    public int installPages(long firstPageIndex, MemorySegment contiguousContent, int pageCount) {
        if (pageCount < 1) {
            throw new IllegalArgumentException("pageCount=" + pageCount + " (expected: >= 1)");
        }
        geometry.checkPageIndex(firstPageIndex);
        geometry.checkPageIndex(firstPageIndex + pageCount - 1);
        if (contiguousContent.byteSize() != (long) pageCount * geometry.pageSize()) {
            throw new IllegalArgumentException("content of " + contiguousContent.byteSize() + " bytes for "
                + pageCount + " pages of " + geometry.pageSize());
        }
        return installer.installArriving(firstPageIndex, contiguousContent, pageCount);
    }

    /** {@inheritDoc} <p>{@code UFFDIO_ZEROPAGE}; dropped for a guest-discarded page (it is zero-filled locally). */
    @Override
    public boolean installZeroPage(long pageIndex) {
        geometry.checkPageIndex(pageIndex);
        return installer.installArriving(pageIndex, null, 1) == 1;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code UFFDIO_ZEROPAGE} per run of pages that are missing, unclaimed and not guest-discarded.
     */
    @Override
    public int installZeroPages(long firstPageIndex, int pageCount) {
        if (pageCount < 1) {
            throw new IllegalArgumentException("pageCount=" + pageCount + " (expected: >= 1)");
        }
        geometry.checkPageIndex(firstPageIndex);
        geometry.checkPageIndex(firstPageIndex + pageCount - 1);
        return installer.installArriving(firstPageIndex, null, pageCount);
    }

    /**
     * {@inheritDoc} A present page takes no fault, so a plain copy into it is safe from a Java thread; a missing
     * one is left alone (copying into it would block this thread in the kernel).
     */
    @Override
    public boolean overwritePage(long pageIndex, MemorySegment content) {
        return PageWrites.overwritePresent(engine, pageIndex, memory.page(pageIndex), content, observer);
    }

    @Override
    public void setInstallObserver(InstallObserver observer) {
        this.observer = observer;
        installer.setObserver(observer);
    }

    /**
     * Makes a present page missing again because its content went stale (precopy: the source dirtied it after
     * sending it). Unlike a guest discard, the page is then fetched from the source again on its next fault, and
     * its next arriving content is installed. Drops the page with {@code MADV_DONTNEED}, which blocks until the
     * handler has read the REMOVE event that raises.
     *
     * <p>Called while no vCPU runs (switchover), never from the handler thread.
     *
     * @throws io.postcopy.engine.error.PageOutOfRangeException for a bad index
     * @throws PostcopyException ({@code INTERNAL}) if the backend is closed or its handler is not running
     */
    @Override
    public void discard(long pageIndex) {
        geometry.checkPageIndex(pageIndex);
        if (closed.get() || !handler.isRunning()) {
            throw new PostcopyException(ErrorCode.INTERNAL, "cannot discard page " + pageIndex + ": the userfaultfd "
                + "handler is not running" + (handler.failure() == null ? "" : " (" + handler.failure() + ")"));
        }
        discard(pageIndex, 1);
    }

    /**
     * Discards a run of pages with one {@code madvise}: each page's intent is marked first, so the handler treats
     * the REMOVE event the kernel raises as the backend's own discard (fetched again), not the guest's (zeroed).
     */
    @Override
    public void discard(long firstPageIndex, long pageCount) {
        geometry.checkPageIndex(firstPageIndex);
        geometry.checkPageIndex(firstPageIndex + pageCount - 1);
        if (closed.get() || !handler.isRunning()) {
            throw new PostcopyException(ErrorCode.INTERNAL, "cannot discard pages " + firstPageIndex + ".."
                + (firstPageIndex + pageCount - 1) + ": the userfaultfd handler is not running"
                + (handler.failure() == null ? "" : " (" + handler.failure() + ")"));
        }
        long end = firstPageIndex + pageCount;
        // Shared remove lock: a guest REMOVE the handler has read but not yet applied is applied first, so this
        // discard, which comes after it, has the last word. Not held across madvise, whose own REMOVE the handler
        // must read under the exclusive lock.
        long stamp = states.removeLock.readLock();
        try {
            for (long p = firstPageIndex; p < end; p++) {
                states.discardIntent.casSet(p);
                states.clearRemovedBasePages(p); // refetched whole: the source's content is current again
            }
        } finally {
            states.removeLock.unlockRead(stamp);
        }
        Mman.madvise(memory.segment().asSlice(geometry.pageOffset(firstPageIndex), pageCount * geometry.pageSize()),
            Mman.MADV_DONTNEED);
        for (long p = firstPageIndex; p < end; p++) {
            engine.markMissing(p);
            states.guestDiscarded.casClear(p);
            states.installing.casClear(p);
        }
    }

    /**
     * True if fault messages name the faulting thread ({@code UFFD_FEATURE_THREAD_ID} granted), so that each
     * vCPU's time blocked on kernel faults is recorded in {@code postcopy.vcpu.blocktime}. Otherwise that timer
     * stays empty for this backend.
     */
    public boolean recordsVcpuBlocktime() {
        return vcpuBlocktime;
    }

    /** Page faults read from the userfaultfd so far (also the Micrometer counter {@code postcopy.uffd.faults}). */
    public long uffdFaultCount() {
        return handler.faultCount();
    }

    /** Arriving pages dropped because the guest had discarded them ({@code postcopy.uffd.pages.dropped}). */
    public long droppedPageCount() {
        return installer.droppedPageCount();
    }

    /** The userfaultfd's descriptor, for tests that watch its queue (package-private on purpose). */
    int uffdFd() {
        return uffd.fd();
    }

    /** How the userfaultfd was opened (for reports). */
    public Userfaultfd.OpenRoute openRoute() {
        return uffd.route();
    }

    /**
     * {@inheritDoc} Here that also unregisters guest RAM from the userfaultfd: the kernel then resolves every
     * blocked and future fault with a zero page, so vCPUs blocked in the kernel return and can be stopped.
     */
    @Override
    public void abortFaults() {
        engine.close();
        if (!closed.get() && !states.unmappedHoleLost) {
            try {
                uffd.unregister(memory.segment());
            } catch (PostcopyException e) {
                LOG.warn("unregistering guest RAM to release blocked vCPUs failed: {}", e.getMessage());
            }
        }
    }

    /**
     * Stops the handler agent (within 5 s), unregisters guest RAM, closes the userfaultfd (threads still blocked
     * on a fault are woken by the kernel and see zero pages), stops the engine (within 5 s) and unmaps guest RAM.
     * Call after the vCPU threads stopped. Never blocks beyond those deadlines and never throws: if a thread is
     * still inside guest RAM (blocked on a fault), the mapping is left in place and logged.
     *
     * <p>Unmapped guest RAM ({@code UFFD_EVENT_UNMAP}): a vCPU blocked on a fault in a range the guest unmapped
     * cannot be woken safely while the range is unmapped (it would retry, fault on no mapping and SIGSEGV the
     * JVM), so nothing wakes it while the backend runs. The handler maps such holes again with plain anonymous
     * memory as soon as it reads the event, so that here closing the userfaultfd wakes the thread onto zeros. If a
     * hole could not be mapped again (another mapping took it), the userfaultfd is deliberately left open (its fd
     * leaks, the thread stays blocked in the kernel, in native state, never holding up a safepoint; the JVM can
     * still exit: make vCPU threads daemons) and guest RAM is not unmapped (that would unmap the other mapping).
     * Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (!handler.stop(UffdFaultHandler.stopTimeoutNs())) {
                LOG.error("userfaultfd handler did not stop within its deadline");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean holeLost = states.unmappedHoleLost;
        if (holeLost) {
            LOG.error("guest RAM has an unmapped hole that is not ours any more: leaving the userfaultfd open and "
                + "guest RAM mapped, so that no thread blocked there is woken into a SIGSEGV");
        } else {
            try {
                uffd.unregister(memory.segment());
            } catch (PostcopyException e) {
                LOG.warn("unregistering guest RAM failed (closing the userfaultfd unregisters it): {}",
                    e.getMessage());
            }
            uffd.close();
        }
        wakeup.close();
        engine.close();
        if (!holeLost) {
            closeMemory();
        }
    }

    private void closeMemory() {
        try {
            memory.close();
        } catch (IllegalStateException e) {
            LOG.error("guest RAM stays mapped: a thread is still inside it ({})", e.getMessage());
        }
    }
}
