package io.postcopy.engine.backend.uffd;

import io.micrometer.core.instrument.Counter;
import io.postcopy.engine.fault.FaultEngine;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.nativeio.EventFd;
import io.postcopy.engine.nativeio.Mman;
import io.postcopy.engine.nativeio.Poll;
import io.postcopy.engine.nativeio.UffdMessage;
import io.postcopy.engine.nativeio.UffdStructs;
import io.postcopy.engine.nativeio.Userfaultfd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent that reads the userfaultfd: page faults become demand requests sent on this thread (no handoff on
 * the urgent path), REMOVE and UNMAP events update the page states. The faulting vCPU stays blocked in the
 * kernel, in native state, until an install's {@code UFFDIO_COPY} wakes it.
 *
 * <p>One thread runs {@link #run()}; {@link #stop} may be called by any thread. The thread is a Java thread
 * that only ever blocks in native calls ({@code poll}) or briefly on engine locks, so safepoints never wait
 * for it long, and it never needs a safepoint to make progress.
 */
final class UffdFaultHandler implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(UffdFaultHandler.class);
    private static final int MESSAGES_PER_READ = 64;
    private static final int IDLE_POLL_MS = 200;
    private static final int RETRY_POLL_MS = 1;
    private static final int UFFD = 0;
    private static final int WAKEUP = 1;

    private final Userfaultfd uffd;
    private final EventFd wakeup;
    private final FaultEngine engine;
    private final UffdInstaller installer;
    private final UffdPageStates states;
    private final KernelFaultTimes faultTimes;
    /** Null where fault messages carry no thread id: the faulting vCPU is then unknown. */
    private final VcpuThreadIds vcpuThreads;
    private final MemoryGeometry geometry;
    private final long baseAddress;
    private final long lengthInBytes;
    private final int pageShift;
    private final Counter faultCounter;
    private final AtomicLong faultCount = new AtomicLong();
    /** Faults (addresses) to resolve again once the mm stops changing; only this thread touches it. */
    private final ArrayDeque<Long> deferred = new ArrayDeque<>();
    private final UffdMessage message = new UffdMessage();
    private volatile boolean running = true;
    private volatile Throwable failure;
    private Thread thread;

    UffdFaultHandler(Userfaultfd uffd, EventFd wakeup, FaultEngine engine, UffdInstaller installer,
                     UffdPageStates states, KernelFaultTimes faultTimes, VcpuThreadIds vcpuThreads, MemorySegment guest,
                     Counter faultCounter) {
        this.uffd = uffd;
        this.wakeup = wakeup;
        this.engine = engine;
        this.installer = installer;
        this.states = states;
        this.faultTimes = faultTimes;
        this.vcpuThreads = vcpuThreads;
        this.geometry = engine.geometry();
        this.baseAddress = guest.address();
        this.lengthInBytes = guest.byteSize();
        this.pageShift = geometry.pageShift();
        this.faultCounter = faultCounter;
    }

    /** Starts the agent on a new platform daemon thread. */
    void start() {
        thread = Thread.ofPlatform().name("postcopy-uffd-handler").daemon().unstarted(this);
        installer.setHandlerThread(thread);
        thread.start();
    }

    /** True while the agent thread runs. */
    boolean isRunning() {
        Thread t = thread;
        return t != null && t.isAlive() && running;
    }

    /** Page-fault messages read so far. */
    long faultCount() {
        return faultCount.get();
    }

    /** What stopped the agent if it died, else null. */
    Throwable failure() {
        return failure;
    }

    /**
     * Asks the agent to stop and waits for it up to {@code timeoutNs}.
     *
     * @return true if the thread ended within the deadline
     */
    boolean stop(long timeoutNs) throws InterruptedException {
        running = false;
        wakeup.signal();
        Thread t = thread;
        if (t == null) {
            return true;
        }
        return t.join(java.time.Duration.ofNanos(timeoutNs));
    }

    @Override
    public void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(MESSAGES_PER_READ * UffdMessage.SIZE_IN_BYTES, 8);
            Poll poll = new Poll(arena, uffd.fd(), wakeup.fd());
            while (running) {
                if (doWork(buffer) == 0) {
                    poll.await(deferred.isEmpty() && !installer.hasPending() ? IDLE_POLL_MS : RETRY_POLL_MS);
                    if (poll.isBroken(UFFD)) {
                        throw new IllegalStateException("userfaultfd reported revents=" + poll.revents(UFFD));
                    }
                }
            }
        } catch (Throwable t) {
            failure = t;
            LOG.error("userfaultfd handler stopped: {}; vCPUs faulting from now on stay blocked until close", t,
                t);
        }
    }

    /**
     * Reads one batch of messages and handles them, then retries deferred faults.
     *
     * @return how many messages and retries were handled; 0 means idle
     */
    int doWork(MemorySegment buffer) {
        int n;
        // Read and apply discards under the exclusive remove lock (see UffdPageStates.removeLock); then handle
        // faults, which may install inline and so take the lock shared. Discards first is a valid order: a
        // fault and a discard of the same page in one batch were concurrent, and zeros are an answer to both.
        long stamp = states.removeLock.writeLock();
        try {
            n = uffd.readMessages(buffer);
            for (int i = 0; i < n; i++) {
                if (message.wrap(buffer, i).event() != UffdStructs.UFFD_EVENT_PAGEFAULT) {
                    onMessage(message);
                }
            }
        } finally {
            states.removeLock.unlockWrite(stamp);
        }
        for (int i = 0; i < n; i++) {
            if (message.wrap(buffer, i).event() == UffdStructs.UFFD_EVENT_PAGEFAULT) {
                onMessage(message);
            }
        }
        int retries = deferred.size();
        for (int i = 0; i < retries; i++) {
            long address = deferred.poll();
            if (resolveFault(address)) {
                reportIfCached(address);
            }
        }
        int completed = installer.hasPending() ? installer.retryPending() : 0;
        return n + completed + (deferred.size() < retries ? retries - deferred.size() : 0);
    }

    private void onMessage(UffdMessage msg) {
        switch (msg.event()) {
            case UffdStructs.UFFD_EVENT_PAGEFAULT -> {
                faultCount.incrementAndGet();
                faultCounter.increment();
                onPageFault(msg.pagefaultAddress(), vcpuThreads == null ? -1
                    : vcpuThreads.vcpuOf(msg.pagefaultThreadId()));
            }
            case UffdStructs.UFFD_EVENT_REMOVE -> onRemove(msg.removeStart(), msg.removeEnd());
            case UffdStructs.UFFD_EVENT_UNMAP -> onUnmap(msg.removeStart(), msg.removeEnd());
            default -> LOG.warn("unexpected userfaultfd message {} (feature not requested); ignored", msg);
        }
    }

    /**
     * A fault message: note when the page was first asked for (and that {@code vcpu} waits for it), resolve,
     * report if resolved already.
     */
    private void onPageFault(long address, int vcpu) {
        long offset = address - baseAddress;
        if (offset < 0 || offset >= lengthInBytes) {
            LOG.warn("fault at 0x{} outside guest RAM; ignored", Long.toHexString(address));
            return;
        }
        // Record before resolving: an install that completes from now on finds the time and reports it. A touch
        // of a base page the guest removed is zero-filled at once: it waits for no page, so nothing is timed.
        if (!states.isRemovedBasePage(offset)) {
            faultTimes.onFault(offset >>> pageShift, vcpu);
        }
        if (resolveFault(address)) {
            reportIfCached(address);
        }
    }

    /** The page may have been installed before (or inline during) the fault's resolution: report it now. */
    private void reportIfCached(long address) {
        long pageIndex = (address - baseAddress) >>> pageShift;
        if (engine.cachedBitmap().lvIsSetVolatile(pageIndex)) {
            faultTimes.onInstalled(pageIndex);
        }
    }

    /**
     * Resolves one fault: wake or zero-fill if the page is present or discarded, or if the guest removed the
     * faulting base page (2 MiB pages: zeros for that base page only, the page stays missing), else request it.
     *
     * @return false if the fault was deferred (the mm is changing), true if it was handled
     */
    private boolean resolveFault(long address) {
        long offset = address - baseAddress;
        if (offset < 0 || offset >= lengthInBytes) {
            return true;
        }
        long pageIndex = offset >>> pageShift;
        try {
            if (engine.isCached(pageIndex)) {
                if (!installer.zeroOrWake(address)) {
                    deferred.add(address);
                    return false;
                }
            } else if (states.guestDiscarded.lvIsSet(pageIndex)) {
                if (states.unmapped.lvIsSet(pageIndex)) {
                    return true; // never wake it: see UffdBackend, "Unmapped guest RAM"
                }
                if (installer.zeroFillLocal(pageIndex, false) == UffdInstaller.RETRY) {
                    deferred.add(address);
                    return false;
                }
            } else if (states.isRemovedBasePage(offset)) {
                if (!installer.zeroOrWake(address)) {
                    deferred.add(address);
                    return false;
                }
            } else {
                engine.requestForKernelFault(pageIndex);
            }
        } catch (RuntimeException e) {
            // The page stays requested (faulted bit set); a re-attached source is asked for it again.
            LOG.warn("could not request page {} for a kernel fault: {}", pageIndex, e.toString());
        }
        return true;
    }

    /**
     * The guest dropped [start, end): pages wholly inside it are missing again, and zero when next touched. In a
     * page the range only cuts (2 MiB pages), the removed base pages read as zeros from now on and the rest of the
     * page keeps its content, or still arrives from the source if the page is missing (see {@link UffdPageStates}).
     */
    private void onRemove(long start, long end) {
        long first = Math.max(0, Math.ceilDiv(start - baseAddress, (long) geometry.pageSize()));
        long last = Math.min(geometry.pageCount(), Math.floorDiv(end - baseAddress, (long) geometry.pageSize()));
        for (long p = first; p < last; p++) {
            if (states.discardIntent.casClear(p)) {
                continue; // the backend's own discard: the page is fetched from the source again
            }
            states.guestDiscarded.casSet(p);
            if (engine.isCached(p)) {
                engine.markMissing(p);
                states.installing.casClear(p);
            } else if (engine.faultedBitmap().lvIsSet(p)) {
                // In flight: someone may be blocked on it, and the arriving content will be dropped. Zeros now.
                resolveFault(baseAddress + geometry.pageOffset(p));
            }
        }
        markCutPages(start, end);
    }

    /**
     * Notes the removed base pages of the (at most two) pages that [start, end) cuts. A vCPU blocked on one of
     * them while the page is in flight is woken when the page arrives, onto zeros: the page is fetched once.
     */
    private void markCutPages(long start, long end) {
        long pageSize = geometry.pageSize();
        long from = Math.max(start - baseAddress, 0);
        long to = Math.min(end - baseAddress, lengthInBytes);
        if (to <= from) {
            return;
        }
        if (from % pageSize != 0) {
            states.markRemovedBasePages(from, Math.min(to, (from / pageSize + 1) * pageSize));
        }
        if (to % pageSize != 0) {
            states.markRemovedBasePages(Math.max(from, to / pageSize * pageSize), to);
        }
    }

    /**
     * The guest unmapped [start, end): its pages are gone; arriving content is dropped, accessors refuse them. A
     * vCPU blocked on a fault there is not woken: it would retry the access on no mapping and SIGSEGV the JVM. The
     * hole is mapped again at once with plain (unregistered) anonymous memory, so that guest RAM is again ours to
     * unmap as a whole, and the close that finally wakes such a thread lets it read zeros instead of crashing.
     */
    private void onUnmap(long start, long end) {
        long holeStart = Math.max(start, baseAddress);
        long holeEnd = Math.min(end, baseAddress + lengthInBytes);
        if (holeEnd > holeStart && !Mman.mapAnonymousAt(holeStart, holeEnd - holeStart)) {
            states.unmappedHoleLost = true;
            LOG.error("cannot map the guest's unmapped hole 0x{}..0x{} again (taken by another mapping?): threads "
                + "blocked on it are never woken and guest RAM is not unmapped on close", Long.toHexString(holeStart),
                Long.toHexString(holeEnd));
        }
        long first = Math.max(0, Math.floorDiv(start - baseAddress, (long) geometry.pageSize()));
        long last = Math.min(geometry.pageCount(), Math.ceilDiv(end - baseAddress, (long) geometry.pageSize()));
        for (long p = first; p < last; p++) {
            states.unmapped.casSet(p);
            states.guestDiscarded.casSet(p);
            engine.markMissing(p);
        }
        states.anyUnmapped = true;
        LOG.warn("guest unmapped {} pages of its RAM ({}..{})", last - first, first, last);
    }

    /** Deadline a closer waits for this agent. */
    static long stopTimeoutNs() {
        return TimeUnit.SECONDS.toNanos(5);
    }
}
