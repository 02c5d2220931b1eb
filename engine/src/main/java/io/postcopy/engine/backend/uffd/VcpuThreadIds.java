package io.postcopy.engine.backend.uffd;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Which kernel thread runs which vCPU, so that a page-fault message that names its thread
 * ({@code UFFD_FEATURE_THREAD_ID}) names its vCPU. A vCPU accessor registers the thread that uses it
 * ({@link io.postcopy.engine.nativeio.NativeThreads#currentThreadId()}) before that thread's first access; the
 * fault handler looks ids up.
 *
 * <p>Thread-safe: {@link #register} from vCPU threads, {@link #vcpuOf} from the handler. A lookup scans every
 * vCPU, which is cheap next to a fault (a handful of vCPUs, at most a few hundred).
 */
final class VcpuThreadIds {
    private static final int NONE = 0;

    /** Thread id per vCPU, {@link #NONE} until registered. */
    private final AtomicIntegerArray threadIds;

    VcpuThreadIds(int vcpus) {
        threadIds = new AtomicIntegerArray(vcpus);
    }

    /**
     * Thread {@code threadId} runs vCPU {@code vcpu} from now on. A vCPU that had this id before (a thread that
     * ended, whose id the kernel reused) loses it.
     */
    void register(int vcpu, int threadId) {
        for (int other = 0; other < threadIds.length(); other++) {
            if (other != vcpu) {
                threadIds.compareAndSet(other, threadId, NONE);
            }
        }
        threadIds.set(vcpu, threadId);
    }

    /** The vCPU that thread {@code threadId} runs, or -1 if it is not a registered vCPU thread (or id 0). */
    int vcpuOf(int threadId) {
        if (threadId == NONE) {
            return -1;
        }
        for (int vcpu = 0; vcpu < threadIds.length(); vcpu++) {
            if (threadIds.get(vcpu) == threadId) {
                return vcpu;
            }
        }
        return -1;
    }
}
