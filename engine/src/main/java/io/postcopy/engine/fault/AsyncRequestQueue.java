package io.postcopy.engine.fault;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The bounded queue of asynchronous page requests (umem's {@code async_req}): prefetch and device reads. Its
 * capacity is chosen by the caller; when full, producers get back-pressure (a refused offer, or a bounded
 * wait) instead of unbounded growth.
 *
 * <p>Any thread may offer; one drainer (the engine's request agent) takes.
 */
final class AsyncRequestQueue {
    private final ArrayBlockingQueue<Long> queue;
    private final int capacity;

    AsyncRequestQueue(int capacity) {
        if (capacity < 1 || capacity > (1 << 24)) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "asyncCapacity=" + capacity + " (expected: 1..16777216)");
        }
        this.capacity = capacity;
        this.queue = new ArrayBlockingQueue<>(capacity);
    }

    int capacity() {
        return capacity;
    }

    int size() {
        return queue.size();
    }

    /** Non-blocking offer: false when full. */
    boolean offer(long pageIndex) {
        return queue.offer(pageIndex);
    }

    /** Offer that waits up to {@code timeoutNs} for space: false if none came. */
    boolean offer(long pageIndex, long timeoutNs) throws InterruptedException {
        return queue.offer(pageIndex, timeoutNs, TimeUnit.NANOSECONDS);
    }

    /**
     * Moves up to {@code into.length} requests into {@code into}, waiting up to {@code timeoutNs} for the first.
     *
     * @return how many were taken
     */
    int drain(long[] into, long timeoutNs) throws InterruptedException {
        Long first = queue.poll(timeoutNs, TimeUnit.NANOSECONDS);
        if (first == null) {
            return 0;
        }
        into[0] = first;
        int n = 1;
        Long next;
        while (n < into.length && (next = queue.poll()) != null) {
            into[n++] = next;
        }
        return n;
    }
}
