package io.postcopy.engine.fault;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongPredicate;

/**
 * A bounded set of synchronous request slots, one per vCPU (umem's {@code sync_req}): slot {@code i} holds the
 * page that vCPU {@code i} is blocked on, and the thread to wake. The number of slots is chosen by the caller;
 * there is no default (umem review: "Best to avoid defaults and require userspace choose").
 *
 * <p>A slot is written only by its owning vCPU thread and read by installers. Wake-ups cannot be lost: the
 * waiter publishes its slot (volatile) and then re-reads the page's cached bit (volatile); the installer sets
 * the bit (volatile read-modify-write) and then scans the slots. One of the two always sees the other.
 */
final class SyncRequestSlots {
    static final long EMPTY = -1L;

    private final AtomicLongArray pageIndexes;
    private final AtomicReferenceArray<Thread> waiters;
    private final AtomicInteger occupied = new AtomicInteger();

    SyncRequestSlots(int slotCount) {
        if (slotCount < 1 || slotCount > 4096) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "syncSlots=" + slotCount + " (expected: 1..4096, one per vCPU)");
        }
        pageIndexes = new AtomicLongArray(slotCount);
        waiters = new AtomicReferenceArray<>(slotCount);
        for (int i = 0; i < slotCount; i++) {
            pageIndexes.set(i, EMPTY);
        }
    }

    int slotCount() {
        return pageIndexes.length();
    }

    /** Checks that {@code slot} names a slot. */
    void checkSlot(int slot) {
        if (slot < 0 || slot >= pageIndexes.length()) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "slot=" + slot + " (expected: 0 <= slot < syncSlots=" + pageIndexes.length() + ")");
        }
    }

    /** Owner thread: record that the calling thread now waits for {@code pageIndex} in {@code slot}. */
    void publish(int slot, long pageIndex) {
        if (pageIndexes.get(slot) != EMPTY) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "slot " + slot + " is already waiting for page "
                + pageIndexes.get(slot) + "; each vCPU owns one slot and waits for one page at a time");
        }
        waiters.set(slot, Thread.currentThread());
        occupied.incrementAndGet();
        pageIndexes.set(slot, pageIndex);
    }

    /** Owner thread: the wait is over. */
    void clear(int slot) {
        pageIndexes.set(slot, EMPTY);
        waiters.set(slot, null);
        occupied.decrementAndGet();
    }

    /** The page slot {@code slot} waits for, or {@link #EMPTY}. */
    long pageIndex(int slot) {
        return pageIndexes.get(slot);
    }

    /**
     * Installer: wakes every waiter whose page is now cached. One pass over the slots per batch of installs,
     * not one per page, and the test is done in the same pass (umem review: "Why not do this test in the loop
     * above?").
     *
     * @return how many threads were woken
     */
    int wakeCached(LongPredicate isCached) {
        if (occupied.get() == 0) {
            return 0;
        }
        int woken = 0;
        for (int slot = 0; slot < pageIndexes.length(); slot++) {
            long pageIndex = pageIndexes.get(slot);
            if (pageIndex != EMPTY && isCached.test(pageIndex)) {
                Thread waiter = waiters.get(slot);
                if (waiter != null) {
                    LockSupport.unpark(waiter);
                    woken++;
                }
            }
        }
        return woken;
    }

    /** Wakes every waiting thread (shutdown: each re-checks and sees the engine closed). */
    void wakeAll() {
        for (int slot = 0; slot < waiters.length(); slot++) {
            Thread waiter = waiters.get(slot);
            if (waiter != null) {
                LockSupport.unpark(waiter);
            }
        }
    }

    /** Snapshot of the pages being waited for: re-sent after a reconnect. */
    long[] pendingPages() {
        return java.util.stream.IntStream.range(0, pageIndexes.length())
            .mapToLong(pageIndexes::get).filter(p -> p != EMPTY).distinct().toArray();
    }
}
