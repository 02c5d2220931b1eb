package io.postcopy.engine.fault;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PageFaultTimeoutException;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.memory.PageBitmap;
import io.postcopy.engine.port.PageSource;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The post-copy fault engine, after umem (seed 001): which pages are present ({@code cached}), which have been
 * asked for ({@code faulted}), who waits for what (a bounded set of sync slots, one per vCPU) and what else
 * is wanted (a bounded async queue for prefetch and device reads).
 *
 * <p>Two threads faulting on the same page cause exactly one request to the {@link PageSource}; every waiter
 * is woken when the page is {@linkplain #markCached(long) marked cached}. The engine does not move page
 * content: a backend installs the bytes and then calls {@link #markCached}, whose release store publishes
 * them.
 *
 * <p>Threads: {@link #awaitPage} is called by the vCPU thread that owns the slot; {@link #awaitPageAsync} by any
 * other thread; {@link #markCached} by whichever thread installed the page; the async queue is drained by the
 * engine's own request agent thread. Nothing on the sync path takes a lock.
 */
public final class FaultEngine implements AutoCloseable {
    private static final int ASYNC_BATCH = 256;
    private static final long AGENT_POLL_NS = TimeUnit.MILLISECONDS.toNanos(50);

    private final FaultEngineContext context;
    private final MemoryGeometry geometry;
    private final PageBitmap cached;
    private final PageBitmap faulted;
    private final SyncRequestSlots slots;
    private final AsyncRequestQueue asyncQueue;
    private final FaultMetrics metrics;
    private final ReentrantLock asyncLock = new ReentrantLock();
    private final Condition asyncPageArrived = asyncLock.newCondition();
    /** Pages whose cached bit is set: counted at each bit transition, so it is exact once writers are done. */
    private final AtomicLong presentPages = new AtomicLong();
    private volatile long completedAtNanos;
    /** Pages that threads wait for in {@link #awaitPageAsync}, with how many wait for each. */
    private final ConcurrentHashMap<Long, Integer> asyncWaitedPages = new ConcurrentHashMap<>();
    private volatile PageSource source;
    private volatile boolean closed;
    private volatile long detachedSinceNs;
    private volatile boolean detached;
    private final AtomicLong detachedTotalNs = new AtomicLong();
    private Thread requestAgent;

    /** Creates an engine with no page present; nothing is requested until a source is attached. */
    public FaultEngine(FaultEngineContext context) {
        this.context = context;
        this.geometry = context.geometry();
        this.cached = new PageBitmap(geometry.pageCount());
        this.faulted = new PageBitmap(geometry.pageCount());
        this.slots = new SyncRequestSlots(context.syncSlots());
        this.asyncQueue = new AsyncRequestQueue(context.asyncCapacity());
        this.metrics = new FaultMetrics(context.registry(), context.syncSlots(), cached);
    }

    /** The geometry of the memory this engine tracks. */
    public MemoryGeometry geometry() {
        return geometry;
    }

    /** Number of sync slots (vCPUs). */
    public int syncSlots() {
        return slots.slotCount();
    }

    /** The present-page bitmap; read it with {@link PageBitmap#lvIsSet}, never write it directly. */
    public PageBitmap cachedBitmap() {
        return cached;
    }

    /** The requested-page bitmap (umem's {@code faulted}). */
    public PageBitmap faultedBitmap() {
        return faulted;
    }

    /**
     * Connects the engine to where pages come from, and starts the request agent that drains the async queue.
     * Pages requested before (or while the previous source was lost) and still missing are asked for again.
     * May be called again with a new source after a reconnect ({@link #detachSource()}): the pages then asked
     * again go through {@link PageSource#requestAgain}, and the time spent detached is added to the deadline of
     * every wait that spanned it.
     */
    public synchronized void attachSource(PageSource newSource) {
        ensureOpen();
        boolean again = source != null || detached;
        if (detached) {
            detachedTotalNs.addAndGet(context.nanoClock().getAsLong() - detachedSinceNs);
            detached = false;
        }
        this.source = newSource;
        if (requestAgent == null) {
            requestAgent = Thread.ofPlatform().name("postcopy-request-agent").daemon().start(this::runRequestAgent);
        }
        long[] pending = outstandingPages();
        if (pending.length > 0) {
            if (again) {
                newSource.requestAgain(pending, pending.length);
            } else {
                newSource.requestPrefetch(pending, pending.length);
            }
        }
    }

    /**
     * The source was lost (a network loss, PROTOCOL.md section 9): requests are recorded but not sent until the
     * next {@link #attachSource}, which asks for every missing requested page again. Waiting threads keep waiting,
     * and no wait times out while detached: the caller bounds the detachment (its recovery deadline) and
     * {@linkplain #close() closes} the engine if the source does not come back. Idempotent.
     */
    public synchronized void detachSource() {
        if (!detached) {
            detachedSinceNs = context.nanoClock().getAsLong();
            detached = true;
        }
        source = null;
    }

    /** True between {@link #detachSource()} and the next {@link #attachSource}. */
    public boolean isDetached() {
        return detached;
    }

    /** Load-acquire: is page {@code pageIndex} present. Not range-checked: the hot path of every accessor. */
    public boolean isCached(long pageIndex) {
        return cached.lvIsSet(pageIndex);
    }

    /**
     * Blocks the calling vCPU until page {@code pageIndex} is present, asking the source for it unless another
     * thread already did. Returns at once if it is present.
     *
     * @param slot      the caller's own sync slot (its vCPU id); one thread per slot
     * @param pageIndex the page
     * @throws io.postcopy.engine.error.PageOutOfRangeException for a bad index
     * @throws PageFaultTimeoutException if the page does not arrive within the context's fault timeout
     */
    public void awaitPage(int slot, long pageIndex) {
        geometry.checkPageIndex(pageIndex);
        if (cached.lvIsSet(pageIndex)) {
            return;
        }
        slots.checkSlot(slot);
        long start = context.nanoClock().getAsLong();
        slots.publish(slot, pageIndex);
        boolean coalesced = false;
        try {
            if (!cached.lvIsSetVolatile(pageIndex)) {
                coalesced = !requestOnce(pageIndex);
                parkUntilCached(pageIndex, start);
            }
        } finally {
            slots.clear(slot);
        }
        resolved(slot, pageIndex, start, coalesced);
    }

    /**
     * Records a fault that the kernel raised for a thread it keeps blocked (userfaultfd), and sends the demand
     * request on the calling thread (the uffd handler) unless the page is present or already requested. No Java
     * thread parks: the kernel-blocked thread is woken by the install itself ({@code UFFDIO_COPY}).
     *
     * @param pageIndex the faulting page
     * @return true if this call sent the request (first fault on the page); false if the page is present or was
     *     already requested (the fault is coalesced)
     * @throws io.postcopy.engine.error.PageOutOfRangeException for a bad index
     */
    public boolean requestForKernelFault(long pageIndex) {
        geometry.checkPageIndex(pageIndex);
        if (cached.lvIsSet(pageIndex)) {
            return false;
        }
        return requestOnce(pageIndex);
    }

    /**
     * Records a kernel fault (userfaultfd) as resolved: no Java thread waited for it, so the backend measured its
     * latency itself, from the moment its handler read the page's first fault message to the install that woke the
     * blocked thread. Records {@code postcopy.fault.latency} and calls the listener with slot -1 and
     * {@code coalesced=false}, once per page and fault episode (later faults on the same page while it was missing
     * are counted in {@code postcopy.faults.coalesced} by {@link #requestForKernelFault} and not reported here).
     * This records no {@code postcopy.vcpu.blocktime}: where the kernel names the faulting threads, the backend
     * reports each blocked vCPU's own wait with {@link #recordVcpuBlocktime}.
     *
     * <p>Called by the thread that installed the page (or the uffd handler); keep it cheap: no lock.
     *
     * @param pageIndex the page that was installed
     * @param latencyNs from the handler reading the fault to the install, in nanoseconds, by the context's clock
     */
    public void recordResolvedKernelFault(long pageIndex, long latencyNs) {
        metrics.recordResolved(-1, latencyNs);
        context.listener().onFaultResolved(-1, pageIndex, latencyNs, false);
    }

    /**
     * Records the time vCPU {@code slot} spent blocked in the kernel on a missing page ({@code postcopy.vcpu.blocktime}
     * with tag {@code vcpu=slot}), for a backend that learns which vCPU faulted (userfaultfd with
     * {@code UFFD_FEATURE_THREAD_ID}). Once per vCPU and wait. Any thread; no lock.
     *
     * @param slot      the vCPU, 0 &lt;= slot &lt; {@link #syncSlots()}
     * @param blockedNs from the handler reading that vCPU's fault to the install that woke it, in nanoseconds
     */
    public void recordVcpuBlocktime(int slot, long blockedNs) {
        slots.checkSlot(slot);
        metrics.recordBlocktime(slot, blockedNs);
    }

    /** The context's clock, in nanoseconds: the time base of every latency this engine records. */
    public long nanoTime() {
        return context.nanoClock().getAsLong();
    }

    /**
     * Blocks a non-vCPU thread (a device's DMA read, the verifier) until page {@code pageIndex} is present,
     * asking for it through the async queue. Waits for queue space if the queue is full (back-pressure), within
     * the same deadline.
     *
     * @throws PageFaultTimeoutException if the page (or queue space) does not come within the fault timeout
     */
    public void awaitPageAsync(long pageIndex) {
        geometry.checkPageIndex(pageIndex);
        if (cached.lvIsSet(pageIndex)) {
            return;
        }
        long start = context.nanoClock().getAsLong();
        long detachedAtStart = detachedTotalNs.get();
        long deadline = start + context.faultTimeoutNs();
        boolean coalesced = !faulted.casSet(pageIndex);
        if (!coalesced) {
            metrics.faults.increment();
            enqueueAsync(pageIndex, deadline);
        } else {
            metrics.coalescedFaults.increment();
        }
        asyncWaitedPages.merge(pageIndex, 1, Integer::sum);
        asyncLock.lock();
        try {
            while (!cached.lvIsSetVolatile(pageIndex)) {
                long remaining = remainingNs(deadline, detachedAtStart);
                if (remaining <= 0 || closed) {
                    throw new PageFaultTimeoutException(pageIndex, context.faultTimeoutNs());
                }
                asyncPageArrived.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostcopyException(ErrorCode.INTERNAL, "interrupted while waiting for page " + pageIndex, e);
        } finally {
            asyncLock.unlock();
            asyncWaitedPages.computeIfPresent(pageIndex, (page, waiters) -> waiters == 1 ? null : waiters - 1);
        }
        resolved(-1, pageIndex, start, coalesced);
    }

    /**
     * Asks for a page in the background (prefetch) without waiting for it.
     *
     * @return {@link AsyncResult#QUEUED} if a request was queued; otherwise why not. {@code QUEUE_FULL} is
     *     back-pressure: nothing was recorded, try again later.
     */
    public AsyncResult requestAsync(long pageIndex) {
        geometry.checkPageIndex(pageIndex);
        if (cached.lvIsSet(pageIndex)) {
            return AsyncResult.ALREADY_CACHED;
        }
        if (!faulted.casSet(pageIndex)) {
            return AsyncResult.ALREADY_REQUESTED;
        }
        if (!asyncQueue.offer(pageIndex)) {
            faulted.casClear(pageIndex);
            metrics.asyncRejected.increment();
            return AsyncResult.QUEUE_FULL;
        }
        metrics.asyncRequests.increment();
        return AsyncResult.QUEUED;
    }

    /**
     * Marks one installed page present and wakes every thread waiting for it. The caller must have written the
     * page's content first: this call's release store publishes it.
     *
     * @return true if the page became present by this call; false if it was already present (a no-op)
     * @throws io.postcopy.engine.error.PageOutOfRangeException for a bad index, before anything changes
     */
    public boolean markCached(long pageIndex) {
        geometry.checkPageIndex(pageIndex);
        boolean changed = cached.casSet(pageIndex);
        if (changed) {
            faulted.casSet(pageIndex);
            metrics.pagesCached.increment();
            becamePresent(1);
            wakeWaiters();
        }
        return changed;
    }

    /**
     * Marks a batch of installed pages present, then wakes waiters in one pass. The whole batch is checked
     * first: one bad index rejects the batch and nothing changes.
     *
     * @return how many of the pages became present by this call (already-present pages are no-ops)
     */
    public int markCached(long[] pageIndexes, int count) {
        for (int i = 0; i < count; i++) {
            geometry.checkPageIndex(pageIndexes[i]);
        }
        int changed = 0;
        for (int i = 0; i < count; i++) {
            if (cached.casSet(pageIndexes[i])) {
                faulted.casSet(pageIndexes[i]);
                changed++;
            }
        }
        if (changed > 0) {
            metrics.pagesCached.increment(changed);
            becamePresent(changed);
            wakeWaiters();
        }
        return changed;
    }

    /**
     * Forgets that a page is present or requested (the guest discarded it, or precopy content went stale). The
     * next touch faults again. The caller (backend) decides what a fault on it then does.
     */
    public void markMissing(long pageIndex) {
        geometry.checkPageIndex(pageIndex);
        if (cached.casClear(pageIndex)) {
            presentPages.decrementAndGet();
        }
        faulted.casClear(pageIndex);
    }

    /** Number of pages present. */
    public long cachedPageCount() {
        return cached.cardinality();
    }

    /** True once every page is present. */
    public boolean isComplete() {
        return cached.isFull();
    }

    /**
     * When guest memory last became complete: the context clock's time at which the last missing page was
     * {@linkplain #markCached marked cached}, exact to that call (no polling). A page made missing again
     * ({@link #markMissing}) and installed once more moves it later. 0 while memory has never been complete.
     */
    public long completedAtNanos() {
        return completedAtNanos;
    }

    /** Pages requested and not yet present: what a new source must be asked for again. */
    public long[] outstandingPages() {
        java.util.stream.LongStream.Builder pages = java.util.stream.LongStream.builder();
        for (long p = faulted.nextSet(0); p >= 0; p = faulted.nextSet(p + 1)) {
            if (!cached.lvIsSet(p)) {
                pages.add(p);
            }
        }
        return pages.build().toArray();
    }

    /**
     * Stops the request agent and wakes every waiting thread, whose wait then fails with {@code TIMEOUT} at once
     * (a lost source must not leave vCPUs parked until their deadline). Idempotent.
     */
    @Override
    public void close() {
        Thread agent;
        synchronized (this) {
            closed = true;
            agent = requestAgent;
        }
        slots.wakeAll();
        asyncLock.lock();
        try {
            asyncPageArrived.signalAll();
        } finally {
            asyncLock.unlock();
        }
        if (agent != null) {
            agent.interrupt();
            try {
                agent.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void becamePresent(int pages) {
        if (presentPages.addAndGet(pages) == geometry.pageCount()) {
            completedAtNanos = context.nanoClock().getAsLong();
        }
    }

    /** Sets the faulted bit; if this call won, sends the demand request on the calling thread. */
    private boolean requestOnce(long pageIndex) {
        if (!faulted.casSet(pageIndex)) {
            metrics.coalescedFaults.increment();
            return false;
        }
        metrics.faults.increment();
        PageSource current = source;
        if (current != null) {
            current.requestDemand(pageIndex);
        }
        prefetchAfter(pageIndex);
        return true;
    }

    /**
     * Prefetch around a fault: asks for the next pages through the async queue (after the demand request went
     * out, so it never delays it). Pages present or already asked for are skipped; a full queue drops the rest.
     */
    private void prefetchAfter(long pageIndex) {
        long end = Math.min(geometry.pageCount(), pageIndex + 1 + context.prefetchPages());
        for (long next = pageIndex + 1; next < end; next++) {
            if (requestAsync(next) == AsyncResult.QUEUE_FULL) {
                return;
            }
        }
    }

    /**
     * What is left of a wait's deadline, extended by the time the engine spent detached from its source since the
     * wait began; while detached, the wait never expires (it re-checks every {@link #AGENT_POLL_NS}).
     */
    private long remainingNs(long deadline, long detachedAtStart) {
        if (detached) {
            return AGENT_POLL_NS;
        }
        return deadline + (detachedTotalNs.get() - detachedAtStart) - context.nanoClock().getAsLong();
    }

    private void parkUntilCached(long pageIndex, long start) {
        long detachedAtStart = detachedTotalNs.get();
        long deadline = start + context.faultTimeoutNs();
        while (!cached.lvIsSetVolatile(pageIndex)) {
            long remaining = remainingNs(deadline, detachedAtStart);
            if (remaining <= 0 || closed) {
                throw new PageFaultTimeoutException(pageIndex, context.faultTimeoutNs());
            }
            LockSupport.parkNanos(this, remaining);
        }
    }

    /** Distinct pages that threads wait for in {@link #awaitPageAsync} right now (for tests). */
    int asyncWaitedPageCount() {
        return asyncWaitedPages.size();
    }

    /**
     * Wakes the threads waiting for pages that are now cached: each vCPU whose page it is, and the async waiters if
     * one of their pages is among them. Called after every batch of installs, so it wakes nobody for pages nobody
     * waits for: a background stream that installs a run every few microseconds must not wake a device thread
     * that waits for some other page each time (one futex wake-up, tens of microseconds on a small VM, per run).
     */
    private void wakeWaiters() {
        slots.wakeCached(cached::lvIsSet);
        if (asyncWaitedPages.isEmpty()) {
            return;
        }
        for (Long pageIndex : asyncWaitedPages.keySet()) {
            if (cached.lvIsSet(pageIndex)) {
                asyncLock.lock();
                try {
                    asyncPageArrived.signalAll();
                } finally {
                    asyncLock.unlock();
                }
                return;
            }
        }
    }

    private void enqueueAsync(long pageIndex, long deadline) {
        try {
            long remaining = deadline - context.nanoClock().getAsLong();
            if (!asyncQueue.offer(pageIndex, Math.max(0, remaining))) {
                faulted.casClear(pageIndex);
                metrics.asyncRejected.increment();
                throw new PageFaultTimeoutException(pageIndex, context.faultTimeoutNs());
            }
            metrics.asyncRequests.increment();
        } catch (InterruptedException e) {
            faulted.casClear(pageIndex);
            Thread.currentThread().interrupt();
            throw new PostcopyException(ErrorCode.INTERNAL, "interrupted while queueing page " + pageIndex, e);
        }
    }

    private void resolved(int slot, long pageIndex, long start, boolean coalesced) {
        long latencyNs = context.nanoClock().getAsLong() - start;
        metrics.recordResolved(slot, latencyNs);
        context.listener().onFaultResolved(slot, pageIndex, latencyNs, coalesced);
    }

    private void runRequestAgent() {
        long[] batch = new long[ASYNC_BATCH];
        while (!closed) {
            try {
                int n = dropCached(batch, asyncQueue.drain(batch, AGENT_POLL_NS));
                PageSource current = source;
                if (n > 0 && current != null) {
                    current.requestPrefetch(batch, n);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // A failing source must not kill the agent: the transport reports its own failure, and
                // outstanding pages are asked for again when a source is re-attached.
                org.slf4j.LoggerFactory.getLogger(FaultEngine.class).warn("page source refused requests: {}",
                    e.toString());
            }
        }
    }

    /** Removes pages that arrived while their request sat in the queue; returns the new count. */
    private int dropCached(long[] batch, int count) {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (!cached.lvIsSet(batch[i])) {
                batch[kept++] = batch[i];
            }
        }
        return kept;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("fault engine closed");
        }
    }

    /** Outcome of {@link #requestAsync}. */
    public enum AsyncResult {
        /** A request was queued. */
        QUEUED,
        /** The page is present; nothing to do. */
        ALREADY_CACHED,
        /** Someone already asked for it; it will arrive. */
        ALREADY_REQUESTED,
        /** The async queue is full: back-pressure, nothing was recorded. */
        QUEUE_FULL
    }
}
