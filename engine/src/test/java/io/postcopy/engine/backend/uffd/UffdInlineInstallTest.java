package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.nativeio.Mman;
import io.postcopy.engine.nativeio.Poll;
import io.postcopy.engine.port.PageSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.postcopy.engine.backend.uffd.UffdTestSupport.PAGE_SIZE;
import static io.postcopy.engine.backend.uffd.UffdTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An in-process source answers a demand request inline, so the install runs on the fault handler's own thread.
 * If a guest REMOVE is queued meanwhile, the kernel refuses UFFDIO_COPY with EAGAIN until the handler reads that
 * event: the handler must not wait for it (it would wait for itself), but keep the content and finish later.
 */
class UffdInlineInstallTest {
    private static final long WAIT_MS = 10_000;

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldFinishInlineInstallWhenGuestRemoveIsQueuedMeanwhile() throws Exception {
        UffdTestSupport.assumeUffd();
        try (UffdBackend backend = new UffdBackend(UffdTestSupport.context(16, 1));
             Arena arena = Arena.ofShared()) {
            CountDownLatch requested = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            backend.engine().attachSource(new PageSource() {
                @Override
                public void requestDemand(long pageIndex) {
                    requested.countDown();
                    try {
                        assertTrue(release.await(WAIT_MS, TimeUnit.MILLISECONDS));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    UffdTestSupport.installPattern(backend, pageIndex); // inline, on the handler thread
                }

                @Override
                public void requestPrefetch(long[] pageIndexes, int count) {
                }
            });
            GuestAccessor vcpu = backend.vcpuAccessor(0);
            CompletableFuture<Long> read = new CompletableFuture<>();
            Thread.ofPlatform().daemon().start(() -> read.complete(vcpu.getLong(2L * PAGE_SIZE)));
            assertTrue(requested.await(WAIT_MS, TimeUnit.MILLISECONDS), "the handler is inside requestDemand");

            Thread balloon = Thread.ofPlatform().daemon().start(
                () -> Mman.madvise(backend.memory().page(9), Mman.MADV_DONTNEED));
            Poll poll = new Poll(arena, backend.uffdFd());
            assertTrue(poll.await((int) WAIT_MS) > 0, "the REMOVE event is queued (the mm is changing)");
            release.countDown();

            assertEquals(pattern(2, 0, 0), read.get(WAIT_MS, TimeUnit.MILLISECONDS));
            assertTrue(balloon.join(Duration.ofMillis(WAIT_MS)), "madvise returned: the handler read the REMOVE");
            assertTrue(UffdTestSupport.await(() -> backend.engine().isCached(2), WAIT_MS), "marked cached after COPY");
            assertEquals(0L, vcpu.getLong(9L * PAGE_SIZE), "the removed page is zero-filled locally");
        }
    }
}
