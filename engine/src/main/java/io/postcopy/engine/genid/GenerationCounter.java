package io.postcopy.engine.genid;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The system generation counter, with the semantics of the sysgenid driver proposal (seed
 * {@code 000_e19c688e75ca1cc7.txt}): a u32 that changes whenever the VM resumes after a migration or is
 * restored or cloned from a snapshot, so that software holding world-unique data (random pools, UUIDs, counters)
 * can refresh it.
 *
 * <p>The counter page is 4096 bytes whose first 4 bytes hold the generation as a little-endian u32, published
 * with a release store; anyone may read it without locks ({@link #readGeneration(MemorySegment)}, an acquire
 * load), as a guest maps sysgenid's page read-only.
 *
 * <p>{@link #openWatcher() Watchers} learn of a new generation and must acknowledge it;
 * {@link #waitForWatchers} blocks until none is outdated. Generations are u32 values carried in a {@code long}
 * (0..4294967295) and wrap around like the kernel's {@code u32}.
 *
 * <p>Thread-safe: every method may be called from any thread. Changes and watcher bookkeeping are serialised by
 * one lock; readiness futures are completed after it is released, on the thread that changed the generation.
 */
public final class GenerationCounter {
    /** Size of the counter page. */
    public static final int PAGE_BYTES = 4096;
    /** Largest generation, the largest u32. */
    public static final long MAX_GENERATION = 0xFFFF_FFFFL;

    private static final VarHandle GENERATION_IN_PAGE =
        ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Set<GenerationWatcher> watchers = new HashSet<>();
    private final MemorySegment page = Arena.ofAuto().allocate(PAGE_BYTES, PAGE_BYTES);
    private long generation;
    private int outdatedCount;

    /** A counter at generation 0, as sysgenid starts when the driver is initialised. */
    public GenerationCounter() {
        this(0);
    }

    /**
     * A counter at {@code initialGeneration}, for example the generation a restored snapshot carried.
     *
     * @param initialGeneration 0..{@link #MAX_GENERATION}
     */
    public GenerationCounter(long initialGeneration) {
        generation = checkGeneration(initialGeneration, "initialGeneration");
        GENERATION_IN_PAGE.setRelease(page, 0L, (int) generation);
    }

    /** A read-only view of the counter page; its first 4 bytes are the generation (u32, little-endian). */
    public MemorySegment counterPage() {
        return page.asReadOnly();
    }

    /**
     * Reads the generation from a counter page without locks (load-acquire of the first 4 bytes).
     *
     * @param counterPage a page from {@link #counterPage()}, or a copy of one
     * @return the generation, 0..{@link #MAX_GENERATION}
     */
    public static long readGeneration(MemorySegment counterPage) {
        return Integer.toUnsignedLong((int) GENERATION_IN_PAGE.getAcquire(counterPage, 0L));
    }

    /** The generation as the counter page shows it; lock-free. */
    public long currentGenerationFromPage() {
        return readGeneration(page);
    }

    /**
     * Starts a new generation (current + 1, wrapping): every open watcher becomes outdated.
     *
     * @return the new generation
     */
    public long bump() {
        return changeTo(OptionalLong.empty());
    }

    /**
     * Forces a new generation of at least {@code minimumGeneration}: the generation becomes
     * {@code max(minimumGeneration, current + 1)} (sysgenid's {@code SYSGENID_FORCE_GEN_UPDATE}). If the
     * current generation is 5, {@code forceUpdate(8)} sets 8 and {@code forceUpdate(3)} sets 6.
     *
     * @param minimumGeneration 0..{@link #MAX_GENERATION}
     * @return the new generation
     */
    public long forceUpdate(long minimumGeneration) {
        return changeTo(OptionalLong.of(checkGeneration(minimumGeneration, "minimumGeneration")));
    }

    /** Registers a new watcher that holds the current generation (it is not outdated). */
    public GenerationWatcher openWatcher() {
        lock.lock();
        try {
            GenerationWatcher watcher = new GenerationWatcher(this, generation);
            watchers.add(watcher);
            return watcher;
        } finally {
            lock.unlock();
        }
    }

    /** Number of open watchers that have not acknowledged the current generation. */
    public int outdatedWatcherCount() {
        lock.lock();
        try {
            return outdatedCount;
        } finally {
            lock.unlock();
        }
    }

    /** Number of open watchers. */
    public int watcherCount() {
        lock.lock();
        try {
            return watchers.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until no watcher is outdated, the timeout expires, or the caller's own watcher is outdated
     * (sysgenid's {@code SYSGENID_WAIT_WATCHERS}). Returns at once if the caller is outdated on entry.
     *
     * @param caller    the caller's own watcher, open on this counter; it does not count as a watcher to wait for
     *                  while it is up to date
     * @param timeoutNs longest wait in nanoseconds; 0 only checks
     * @return why the wait ended, with the number of outdated watchers at that moment
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    public WaitResult waitForWatchers(GenerationWatcher caller, long timeoutNs) throws InterruptedException {
        checkOwnWatcher(caller);
        lock.lockInterruptibly();
        try {
            long remainingNs = timeoutNs;
            while (true) {
                checkOpen(caller);
                if (caller.isOutdatedLocked(generation)) {
                    return new WaitResult(WaitResult.Outcome.CALLER_OUTDATED, outdatedCount);
                }
                if (outdatedCount == 0) {
                    return new WaitResult(WaitResult.Outcome.ALL_ACKNOWLEDGED, 0);
                }
                if (remainingNs <= 0) {
                    return new WaitResult(WaitResult.Outcome.TIMED_OUT, outdatedCount);
                }
                remainingNs = changed.awaitNanos(remainingNs);
            }
        } finally {
            lock.unlock();
        }
    }

    OptionalLong awaitNewGeneration(GenerationWatcher watcher, long timeoutNs) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            long remainingNs = timeoutNs;
            while (true) {
                checkOpen(watcher);
                if (watcher.isOutdatedLocked(generation)) {
                    return OptionalLong.of(generation);
                }
                if (remainingNs <= 0) {
                    return OptionalLong.empty();
                }
                remainingNs = changed.awaitNanos(remainingNs);
            }
        } finally {
            lock.unlock();
        }
    }

    void acknowledge(GenerationWatcher watcher, long acknowledgedGeneration) {
        lock.lock();
        try {
            checkOpen(watcher);
            if (acknowledgedGeneration != generation) {
                throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "acknowledged generation "
                    + acknowledgedGeneration + " but the current generation is " + generation
                    + " (read the new generation again and acknowledge that)");
            }
            if (watcher.isOutdatedLocked(generation)) {
                watcher.acknowledgeLocked(generation);
                outdatedCount--;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    boolean isOutdated(GenerationWatcher watcher) {
        lock.lock();
        try {
            return watchers.contains(watcher) && watcher.isOutdatedLocked(generation);
        } finally {
            lock.unlock();
        }
    }

    CompletableFuture<Void> readiness(GenerationWatcher watcher) {
        lock.lock();
        try {
            checkOpen(watcher);
            return watcher.readinessLocked();
        } finally {
            lock.unlock();
        }
    }

    void close(GenerationWatcher watcher) {
        CompletableFuture<Void> readiness;
        lock.lock();
        try {
            if (!watchers.remove(watcher)) {
                return;
            }
            if (watcher.isOutdatedLocked(generation)) {
                outdatedCount--;
            }
            readiness = watcher.readinessLocked();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        readiness.cancel(false);
    }

    private long changeTo(OptionalLong minimumGeneration) {
        List<CompletableFuture<Void>> becameReady = new ArrayList<>();
        long newGeneration;
        lock.lock();
        try {
            long next = (generation + 1) & MAX_GENERATION;
            newGeneration = minimumGeneration.isPresent() ? Math.max(minimumGeneration.getAsLong(), next) : next;
            generation = newGeneration;
            GENERATION_IN_PAGE.setRelease(page, 0L, (int) newGeneration);
            outdatedCount = 0;
            for (GenerationWatcher watcher : watchers) {
                if (watcher.isOutdatedLocked(newGeneration)) {
                    outdatedCount++;
                    becameReady.add(watcher.readinessLocked());
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        becameReady.forEach(future -> future.complete(null));
        return newGeneration;
    }

    private void checkOwnWatcher(GenerationWatcher watcher) {
        if (watcher.counter() != this) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "the watcher belongs to another counter");
        }
    }

    private void checkOpen(GenerationWatcher watcher) {
        if (!watchers.contains(watcher)) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "the watcher is closed");
        }
    }

    private static long checkGeneration(long value, String name) {
        if (value < 0 || value > MAX_GENERATION) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                name + "=" + value + " (expected: 0.." + MAX_GENERATION + ", a u32)");
        }
        return value;
    }
}
