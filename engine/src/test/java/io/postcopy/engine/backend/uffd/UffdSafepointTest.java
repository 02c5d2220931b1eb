package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.uffd.UffdTestSupport.RecordingSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.postcopy.engine.backend.uffd.UffdTestSupport.PAGE_SIZE;
import static io.postcopy.engine.backend.uffd.UffdTestSupport.pattern;
import static io.postcopy.engine.backend.uffd.UffdTestSupport.patternPage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The safepoint rule of shared/DESIGN.md, measured: vCPU threads blocked in the kernel on missing pages must not
 * hold up a GC, and the GC must not hold up their resolution. A fault storm runs while another thread calls
 * {@code System.gc()} in a loop; it must finish within its deadline with every page correct.
 */
class UffdSafepointTest {
    private static final int VCPUS = 4;
    private static final int PAGES_PER_VCPU = 100;
    private static final long DEADLINE_MS = 40_000; // a deadlock never finishes; a loaded 2-core CI host needs slack

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldResolveFaultStormWithinDeadlineWhenGcRunsInLoop() throws Exception {
        UffdTestSupport.assumeUffd();
        long pages = (long) VCPUS * PAGES_PER_VCPU;
        try (UffdBackend backend = new UffdBackend(UffdTestSupport.context(pages, VCPUS))) {
            RecordingSource source = new RecordingSource();
            backend.engine().attachSource(source);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger gcs = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread resolver = Thread.ofPlatform().name("test-resolver").daemon().start(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    while (!stop.get()) {
                        Long page = source.requests.poll(10, TimeUnit.MILLISECONDS);
                        if (page != null) {
                            backend.installPage(page, patternPage(arena, page, 0));
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            Thread gc = Thread.ofPlatform().name("test-gc-loop").daemon().start(() -> {
                while (!stop.get()) {
                    System.gc();
                    gcs.incrementAndGet();
                }
            });
            List<Thread> vcpus = new ArrayList<>();
            long start = System.nanoTime();
            for (int v = 0; v < VCPUS; v++) {
                int vcpu = v;
                vcpus.add(Thread.ofPlatform().name("test-vcpu-" + v).daemon().start(() -> {
                    GuestAccessor accessor = backend.vcpuAccessor(vcpu);
                    try {
                        // Interleaved: vCPU v touches pages v, v + VCPUS, ... so neighbours fault concurrently.
                        for (long i = 0; i < PAGES_PER_VCPU; i++) {
                            long page = i * VCPUS + vcpu;
                            int word = (int) (i % (PAGE_SIZE / Long.BYTES));
                            long value = accessor.getLong(page * PAGE_SIZE + word * 8L);
                            if (value != pattern(page, word, 0)) {
                                throw new AssertionError("page " + page + " word " + word + ": " + value);
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            try {
                for (Thread vcpu : vcpus) {
                    long leftMs = DEADLINE_MS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertTrue(vcpu.join(Duration.ofMillis(Math.max(1, leftMs))),
                        vcpu.getName() + " did not finish within " + DEADLINE_MS + " ms (safepoint deadlock?), "
                            + gcs.get() + " GCs ran");
                }
            } finally {
                stop.set(true);
                resolver.join(Duration.ofSeconds(5));
                gc.join(Duration.ofSeconds(5));
            }
            assertNull(failure.get(), () -> "failure: " + failure.get());
            assertEquals(pages, backend.uffdFaultCount(), "every page was a kernel fault");
            assertEquals(pages, backend.engine().cachedPageCount());
            assertTrue(gcs.get() > 0, "GCs ran during the storm");
        }
    }
}
