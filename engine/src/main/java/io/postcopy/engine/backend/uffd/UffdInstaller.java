package io.postcopy.engine.backend.uffd;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postcopy.engine.backend.InstallObserver;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.nativeio.Libc;
import io.postcopy.engine.nativeio.Userfaultfd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Installs pages with {@code UFFDIO_COPY} / {@code UFFDIO_ZEROPAGE}, which also wake the vCPUs the kernel keeps
 * blocked on them, then marks them cached in the engine (which wakes Java waiters).
 *
 * <p>Exactly one install of a page copies: the caller must win the page's {@code installing} claim first. A
 * page (or 4 KiB part of one) the kernel reports as already present ({@code EEXIST}) is never overwritten.
 * Content for a guest-discarded page is dropped; see {@link UffdPageStates#removeLock} for how that is ordered
 * against the kernel's zap.
 *
 * <p>Thread-safe: called by receiving threads, the fault handler and host accessors at once.
 */
final class UffdInstaller {
    /** This call filled the page. */
    static final int INSTALLED = 0;
    /** The page was present already, or another install holds it: a duplicate, nothing changed. */
    static final int PRESENT = 1;
    /** The mm is changing (EAGAIN) and the caller may not wait: nothing changed, try again later. */
    static final int RETRY = 3;
    /** The range is no longer registered or mapped. */
    static final int GONE = 4;

    /** The kernel's base page: EEXIST is reported per base page, also inside a 2 MiB guest page. */
    private static final long SYSTEM_PAGE_SIZE = UffdPageStates.BASE_PAGE_SIZE;
    private static final long FILL_RETRY = -1;
    private static final long FILL_GONE = -2;
    private static final long MM_CHANGING_DEADLINE_NS = TimeUnit.SECONDS.toNanos(10);

    private final Userfaultfd uffd;
    private final MemorySegment guest;
    private final MemoryGeometry geometry;
    private final FaultEngine engine;
    private final UffdPageStates states;
    private final MemorySegment zeroPage;
    private final Counter droppedPages;
    private final KernelFaultTimes faultTimes;
    private final ThreadLocal<MemorySegment[]> staging = ThreadLocal.withInitial(() -> new MemorySegment[1]);
    /** Installs that met a changing mm on the handler thread; only the handler thread touches it. */
    private final ArrayDeque<PendingInstall> pending = new ArrayDeque<>();
    private volatile InstallObserver observer = InstallObserver.NONE;
    private volatile Thread handlerThread;

    UffdInstaller(Userfaultfd uffd, MemorySegment guest, MemoryGeometry geometry, FaultEngine engine,
                  UffdPageStates states, KernelFaultTimes faultTimes, Arena arena, MeterRegistry registry) {
        this.uffd = uffd;
        this.guest = guest;
        this.geometry = geometry;
        this.engine = engine;
        this.states = states;
        this.faultTimes = faultTimes;
        this.zeroPage = arena.allocate(geometry.pageSize(), SYSTEM_PAGE_SIZE).asReadOnly();
        this.droppedPages = Counter.builder("postcopy.uffd.pages.dropped")
            .description("arriving pages dropped because the guest had discarded them").register(registry);
    }

    void setObserver(InstallObserver newObserver) {
        this.observer = Objects.requireNonNull(newObserver, "observer");
    }

    long droppedPageCount() {
        return (long) droppedPages.count();
    }

    /** Names the fault handler's thread: installs on it never wait for the mm (see {@link #installArriving}). */
    void setHandlerThread(Thread thread) {
        this.handlerThread = thread;
    }

    /**
     * Installs arriving content for {@code pageCount} contiguous pages (zeros if {@code content} is null), one
     * {@code UFFDIO_COPY} per run of pages it claims. Pages present, claimed elsewhere or guest-discarded are
     * skipped (discarded ones counted as dropped).
     *
     * <p>A changing mm (EAGAIN: a REMOVE event is queued) is waited out with the remove lock released, so the
     * handler can read that event. On the handler thread itself (an in-process source answering inline) it cannot
     * be waited out: the content is then kept and the fill finished by {@link #retryPending()}, and the pages count
     * as installed.
     *
     * <p>The observer sees each page this call installs exactly once, after its COPY succeeded and before it is
     * marked cached, with the content copied: the arriving content, except that base pages of a 2 MiB page the
     * guest removed are zeros ({@link UffdPageStates}, {@code removedBasePages}). A base page that the kernel
     * already held ({@code EEXIST}: a removed base page the guest touched before the page arrived, or a racing
     * local zero-fill) keeps its bytes; the page still counts as installed by the claim holder.
     *
     * @return how many pages this call turned from missing to cached (exact, also for 2 MiB pages)
     */
    int installArriving(long firstPageIndex, MemorySegment content, int pageCount) {
        long pageSize = geometry.pageSize();
        boolean onHandler = Thread.currentThread() == handlerThread;
        long deadline = 0;
        int installed = 0;
        int i = 0;
        long stamp = states.removeLock.readLock();
        try {
            while (i < pageCount) {
                if (!claimForArrival(firstPageIndex + i)) {
                    i++;
                    continue;
                }
                int runStart = i;
                do {
                    i++;
                } while (i < pageCount && claimForArrival(firstPageIndex + i));
                int runLength = i - runStart;
                long first = firstPageIndex + runStart;
                MemorySegment source = content == null ? null
                    : arrivingSource(content.asSlice(runStart * pageSize, runLength * pageSize), first, runLength);
                long filled = fill(range(first, runLength), source, false);
                if (filled == FILL_RETRY && onHandler) {
                    for (int k = 0; k < runLength; k++) {
                        pending.add(new PendingInstall(first + k, source == null ? null
                            : source.asSlice(k * pageSize, pageSize).toArray(ValueLayout.JAVA_BYTE)));
                    }
                    observe(first, source, runLength);
                    installed += runLength;
                } else if (filled == FILL_RETRY) {
                    release(first, runLength);
                    states.removeLock.unlockRead(stamp);
                    deadline = deadline == 0 ? System.nanoTime() + MM_CHANGING_DEADLINE_NS : deadline;
                    awaitMmChange(deadline);
                    stamp = states.removeLock.readLock();
                    i = runStart; // claim again: the event that changed the mm may have discarded some of them
                } else if (filled == FILL_GONE) {
                    release(first, runLength);
                } else {
                    observe(first, source, runLength);
                    installed += markCached(first, runLength);
                }
            }
        } finally {
            states.removeLock.unlockRead(stamp);
        }
        return installed;
    }

    /**
     * Zero-fills a page the guest discarded, without asking the source. Zeros are right for a discarded page
     * whatever the order against the zap, so no remove lock is taken. {@code mayWait} is false on the handler
     * thread: it must go on reading events (the REMOVE that makes the mm change) rather than wait.
     *
     * @return {@link #INSTALLED}, {@link #PRESENT}, {@link #RETRY} or {@link #GONE}
     */
    int zeroFillLocal(long pageIndex, boolean mayWait) {
        if (engine.isCached(pageIndex) || !states.installing.casSet(pageIndex)) {
            return PRESENT;
        }
        long filled = fill(range(pageIndex, 1), null, mayWait);
        if (filled == FILL_RETRY || filled == FILL_GONE) {
            states.installing.casClear(pageIndex);
            return filled == FILL_RETRY ? RETRY : GONE;
        }
        observer.onInstall(pageIndex, zeroPage);
        markCached(pageIndex, 1);
        return filled > 0 ? INSTALLED : PRESENT;
    }

    /**
     * Resolves a fault on a base page of a page the engine holds as cached: the guest discarded part of it (or
     * the fault raced with the install). Zero-fills that base page if missing, else just wakes the faulter.
     *
     * @return false if the mm is changing and the caller should try again later
     */
    boolean zeroOrWake(long faultAddress) {
        MemorySegment basePage = guest.asSlice(faultAddress - guest.address(), SYSTEM_PAGE_SIZE);
        long r = uffd.zeroPage(basePage, 0);
        if (r == -Libc.EAGAIN) {
            return false;
        }
        if (r == -Libc.EEXIST) {
            uffd.wake(basePage);
        }
        return true;
    }

    /**
     * Handler thread only, between batches (so no REMOVE is read but unprocessed): finishes installs that met a
     * changing mm on the handler thread. A page discarded meanwhile gets zeros instead of its content.
     *
     * @return how many pending installs completed
     */
    int retryPending() {
        int done = 0;
        for (int n = pending.size(); n > 0; n--) {
            PendingInstall install = pending.poll();
            boolean discarded = states.guestDiscarded.lvIsSet(install.pageIndex());
            long filled = fill(range(install.pageIndex(), 1), discarded || install.content() == null ? null
                : arrivingSource(MemorySegment.ofArray(install.content()), install.pageIndex(), 1), false);
            if (filled == FILL_RETRY) {
                pending.add(install);
            } else {
                if (filled != FILL_GONE) {
                    markCached(install.pageIndex(), 1);
                }
                done++;
            }
        }
        return done;
    }

    /** Handler thread only: installs still waiting for the mm to settle. */
    boolean hasPending() {
        return !pending.isEmpty();
    }

    /** Wins the claim for arriving content, unless the page is present, claimed or guest-discarded. */
    private boolean claimForArrival(long pageIndex) {
        if (states.guestDiscarded.lvIsSet(pageIndex)) {
            droppedPages.increment();
            return false;
        }
        return !engine.isCached(pageIndex) && states.installing.casSet(pageIndex);
    }

    private void release(long firstPageIndex, int pageCount) {
        for (int i = 0; i < pageCount; i++) {
            states.installing.casClear(firstPageIndex + i);
        }
    }

    /** Shows the observer the {@code runLength} pages from {@code firstPageIndex} as copied (null: zeros). */
    private void observe(long firstPageIndex, MemorySegment runSource, int runLength) {
        long pageSize = geometry.pageSize();
        for (int k = 0; k < runLength; k++) {
            observer.onInstall(firstPageIndex + k, runSource == null ? zeroPage : runSource.asSlice(k * pageSize,
                pageSize));
        }
    }

    /**
     * Marks a filled run cached (waking Java waiters), then reports the kernel faults it resolved.
     *
     * @return how many pages became cached by this call: all of them, as the caller holds their claims
     */
    private int markCached(long firstPageIndex, int pageCount) {
        int changed;
        if (pageCount == 1) {
            changed = engine.markCached(firstPageIndex) ? 1 : 0;
        } else {
            long[] pages = new long[pageCount];
            for (int i = 0; i < pageCount; i++) {
                pages[i] = firstPageIndex + i;
            }
            changed = engine.markCached(pages, pageCount);
        }
        faultTimes.onInstalled(firstPageIndex, pageCount);
        return changed;
    }

    /**
     * Fills the missing base pages of {@code destination} from {@code source} (zeros if null), skipping base
     * pages that are present, retrying partial copies.
     *
     * @return bytes filled (0 if all were present), {@link #FILL_RETRY} or {@link #FILL_GONE}
     */
    private long fill(MemorySegment destination, MemorySegment source, boolean mayWait) {
        long length = destination.byteSize();
        long done = 0;
        long filled = 0;
        long deadline = 0;
        while (done < length) {
            MemorySegment to = destination.asSlice(done);
            long r = source == null ? uffd.zeroPage(to, 0) : uffd.copy(to, source.asSlice(done, length - done), 0);
            if (r > 0) {
                done += r;
                filled += r;
            } else if (r == -Libc.EEXIST) {
                done += SYSTEM_PAGE_SIZE;
            } else if (r == -Libc.EAGAIN) {
                if (!mayWait) {
                    return FILL_RETRY;
                }
                deadline = deadline == 0 ? System.nanoTime() + MM_CHANGING_DEADLINE_NS : deadline;
                awaitMmChange(deadline);
            } else if (r == -Libc.ENOENT || r == -Libc.ESRCH) {
                return FILL_GONE;
            } else {
                throw new PostcopyException(ErrorCode.NATIVE, (source == null ? "UFFDIO_ZEROPAGE" : "UFFDIO_COPY")
                    + " of " + (length - done) + " bytes failed: errno " + -r + " (" + Libc.strerror((int) -r) + ")");
            }
        }
        return filled;
    }

    private static void awaitMmChange(long deadline) {
        if (System.nanoTime() - deadline > 0) {
            throw new PostcopyException(ErrorCode.NATIVE, "UFFDIO_COPY kept failing with EAGAIN for "
                + TimeUnit.NANOSECONDS.toSeconds(MM_CHANGING_DEADLINE_NS) + " s: the guest's mm is changing and "
                + "its userfaultfd event is not being read (is the fault handler running?)");
        }
        Thread.yield();
    }

    private MemorySegment range(long firstPageIndex, int pageCount) {
        return guest.asSlice(geometry.pageOffset(firstPageIndex), (long) pageCount * geometry.pageSize());
    }

    /**
     * The COPY source for arriving content of the {@code pageCount} pages from {@code firstPageIndex}: as
     * {@link #source}, but where the guest removed base pages of them, a staged copy with those base pages zeroed
     * (the kernel's semantics: a removed base page reads as zeros, whatever the source held).
     */
    private MemorySegment arrivingSource(MemorySegment content, long firstPageIndex, int pageCount) {
        boolean anyRemoved = false;
        for (int k = 0; k < pageCount && !anyRemoved; k++) {
            anyRemoved = states.hasRemovedBasePages(firstPageIndex + k);
        }
        if (!anyRemoved) {
            return source(content);
        }
        MemorySegment staged = stage(content);
        long pageSize = geometry.pageSize();
        for (int k = 0; k < pageCount; k++) {
            long pageOffset = geometry.pageOffset(firstPageIndex + k);
            for (long b = 0; b < pageSize; b += SYSTEM_PAGE_SIZE) {
                if (states.isRemovedBasePage(pageOffset + b)) {
                    staged.asSlice(k * pageSize + b, SYSTEM_PAGE_SIZE).fill((byte) 0);
                }
            }
        }
        return staged;
    }

    /**
     * The COPY source for {@code content}: itself if native and outside guest RAM (a source inside registered
     * memory could fault in the kernel), else a copy in this thread's page-aligned staging buffer.
     */
    private MemorySegment source(MemorySegment content) {
        long size = content.byteSize();
        if (content.isNative() && (content.address() + size <= guest.address()
            || content.address() >= guest.address() + guest.byteSize())) {
            return content;
        }
        return stage(content);
    }

    /** A copy of {@code content} in this thread's page-aligned staging buffer, valid until its next use. */
    private MemorySegment stage(MemorySegment content) {
        long size = content.byteSize();
        MemorySegment[] holder = staging.get();
        if (holder[0] == null || holder[0].byteSize() < size) {
            holder[0] = Arena.ofAuto().allocate(Math.max(size, geometry.pageSize()), SYSTEM_PAGE_SIZE);
        }
        MemorySegment staged = holder[0].asSlice(0, size);
        MemorySegment.copy(content, 0, staged, 0, size);
        return staged;
    }

    /** A page to fill once the mm settles: content copied to the heap (null: zeros), claim still held. */
    private record PendingInstall(long pageIndex, byte[] content) {
    }
}
