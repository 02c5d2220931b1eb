package io.postcopy.engine.backend.uffd;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.uffd.UffdTestSupport.RecordingSource;
import io.postcopy.engine.nativeio.Mman;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static io.postcopy.engine.backend.uffd.UffdTestSupport.PAGE_SIZE;
import static io.postcopy.engine.backend.uffd.UffdTestSupport.await;
import static io.postcopy.engine.backend.uffd.UffdTestSupport.installPattern;
import static io.postcopy.engine.backend.uffd.UffdTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Latency of kernel (userfaultfd) faults: measured from the handler's read to the install, reported once. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UffdFaultLatencyTest {
    private static final long PAGES = 64;
    private static final long WAIT_MS = 10_000;
    private static final long DELAY_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final Executor NEW_THREAD = task -> Thread.ofPlatform().daemon().name("vcpu").start(task);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ConcurrentLinkedQueue<Resolved> resolved = new ConcurrentLinkedQueue<>();
    private UffdBackend backend;
    private RecordingSource source;

    @BeforeEach
    void setUp() {
        UffdTestSupport.assumeUffd();
        backend = new UffdBackend(UffdTestSupport.context(PAGES, 4).withRegistry(registry)
            .withListener((slot, page, latencyNs, coalesced) -> resolved.add(new Resolved(slot, page, latencyNs,
                coalesced))));
        source = new RecordingSource();
        backend.engine().attachSource(source);
    }

    @AfterEach
    void tearDown() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void shouldReportOneLatencyOfAtLeastTheDelayWhenResponderInstallsLate() throws Exception {
        GuestAccessor vcpu = backend.vcpuAccessor(0);
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> vcpu.getLong(3L * PAGE_SIZE), NEW_THREAD);
        assertEquals(3L, source.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS));
        long requestSeenNs = System.nanoTime();

        CompletableFuture.runAsync(() -> {
            while (System.nanoTime() - requestSeenNs < DELAY_NS) {
                LockSupport.parkNanos(DELAY_NS);
            }
            assertTrue(installPattern(backend, 3));
        }, NEW_THREAD).get(WAIT_MS, TimeUnit.MILLISECONDS);

        assertEquals(pattern(3, 0, 0), read.get(WAIT_MS, TimeUnit.MILLISECONDS));
        List<Resolved> calls = List.copyOf(resolved);
        assertEquals(1, calls.size(), calls.toString());
        assertEquals(new Resolved(-1, 3, calls.get(0).latencyNs(), false), calls.get(0));
        assertTrue(calls.get(0).latencyNs() >= DELAY_NS, "latency " + calls.get(0).latencyNs() + " ns");
        assertEquals(1, registry.get("postcopy.fault.latency").timer().count());
        assertTrue(registry.get("postcopy.fault.latency").timer().totalTime(TimeUnit.NANOSECONDS) >= DELAY_NS);
    }

    @Test
    void shouldCountCoalescedAndReportOnceWhenTwoVcpusFaultOnSamePage() throws Exception {
        CompletableFuture<Long> first = CompletableFuture.supplyAsync(
            () -> backend.vcpuAccessor(0).getLong(5L * PAGE_SIZE), NEW_THREAD);
        CompletableFuture<Long> second = CompletableFuture.supplyAsync(
            () -> backend.vcpuAccessor(1).getLong(5L * PAGE_SIZE + 8), NEW_THREAD);
        assertTrue(await(() -> backend.uffdFaultCount() == 2, WAIT_MS), "both vCPUs faulted");
        assertEquals(1.0, registry.get("postcopy.faults.coalesced").counter().count());
        assertEquals(1.0, registry.get("postcopy.faults").counter().count());

        assertTrue(installPattern(backend, 5));
        assertEquals(pattern(5, 0, 0), first.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(pattern(5, 1, 0), second.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(1, resolved.size(), "one report per page, not per blocked thread: " + resolved);
        assertFalse(resolved.peek().coalesced());
    }

    @Test
    void shouldReportLatencyWhenGuestRemovesPageInFlight() throws Exception {
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(
            () -> backend.vcpuAccessor(2).getLong(20L * PAGE_SIZE), NEW_THREAD);
        assertEquals(20L, source.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS));

        Mman.madvise(backend.memory().page(20), Mman.MADV_DONTNEED);

        assertEquals(0L, read.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertTrue(await(() -> resolved.size() == 1, WAIT_MS), "the local zero-fill resolved the fault");
        assertEquals(20, resolved.peek().pageIndex());
        assertFalse(installPattern(backend, 20));
        assertEquals(1, resolved.size());
    }

    @Test
    void shouldRecordBlocktimeOfEachBlockedVcpuWhenKernelNamesFaultingThreads() throws Exception {
        Assumptions.assumeTrue(backend.recordsVcpuBlocktime(), "this kernel does not grant UFFD_FEATURE_THREAD_ID");
        CompletableFuture<Long> first = CompletableFuture.supplyAsync(
            () -> backend.vcpuAccessor(0).getLong(7L * PAGE_SIZE), NEW_THREAD);
        CompletableFuture<Long> second = CompletableFuture.supplyAsync(
            () -> backend.vcpuAccessor(1).getLong(7L * PAGE_SIZE + 8), NEW_THREAD);
        CompletableFuture<Long> other = CompletableFuture.supplyAsync(
            () -> backend.vcpuAccessor(2).getLong(9L * PAGE_SIZE), NEW_THREAD);
        assertTrue(await(() -> backend.uffdFaultCount() == 3, WAIT_MS), "three vCPUs faulted");
        long faultsSeenNs = System.nanoTime();
        while (System.nanoTime() - faultsSeenNs < DELAY_NS) {
            LockSupport.parkNanos(DELAY_NS);
        }

        assertTrue(installPattern(backend, 7));
        assertTrue(installPattern(backend, 9));
        assertEquals(pattern(7, 0, 0), first.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(pattern(7, 1, 0), second.get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(pattern(9, 0, 0), other.get(WAIT_MS, TimeUnit.MILLISECONDS));
        for (int vcpu = 0; vcpu < 3; vcpu++) {
            Timer blocktime = registry.get("postcopy.vcpu.blocktime").tag("vcpu", Integer.toString(vcpu)).timer();
            assertEquals(1, blocktime.count(), "one wait of vCPU " + vcpu + ", the coalesced one too");
            assertTrue(blocktime.totalTime(TimeUnit.NANOSECONDS) >= DELAY_NS, "vCPU " + vcpu + " blocked "
                + blocktime.totalTime(TimeUnit.NANOSECONDS) + " ns");
        }
        assertEquals(0, registry.get("postcopy.vcpu.blocktime").tag("vcpu", "3").timer().count(), "never faulted");
        assertEquals(2, registry.get("postcopy.fault.latency").timer().count(), "fault latency stays per page");
    }

    @Test
    void shouldStillResolveAndTimeFaultsWhenKernelNamesNoThreads() throws Exception {
        SimpleMeterRegistry plainRegistry = new SimpleMeterRegistry();
        try (UffdBackend plain = new UffdBackend(UffdTestSupport.context(PAGES, 2).withRegistry(plainRegistry), 0)) {
            RecordingSource plainSource = new RecordingSource();
            plain.engine().attachSource(plainSource);
            assertFalse(plain.recordsVcpuBlocktime(), "THREAD_ID was not asked for");
            CompletableFuture<Long> read = CompletableFuture.supplyAsync(
                () -> plain.vcpuAccessor(1).getLong(4L * PAGE_SIZE), NEW_THREAD);
            assertEquals(4L, plainSource.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS));

            assertTrue(installPattern(plain, 4));
            assertEquals(pattern(4, 0, 0), read.get(WAIT_MS, TimeUnit.MILLISECONDS));
            assertTrue(await(() -> plainRegistry.get("postcopy.fault.latency").timer().count() == 1, WAIT_MS));
            assertEquals(0, plainRegistry.get("postcopy.vcpu.blocktime").tag("vcpu", "1").timer().count(),
                "no thread id, no vCPU to charge");
        }
    }

    @Test
    void shouldReportNothingWhenPagesArriveWithoutFault() {
        for (long p = 0; p < 8; p++) {
            assertTrue(installPattern(backend, p));
        }
        assertEquals(0L, backend.vcpuAccessor(0).getLong(0) - pattern(0, 0, 0));
        assertTrue(resolved.isEmpty(), resolved.toString());
        assertEquals(0, registry.get("postcopy.fault.latency").timer().count());
    }

    private record Resolved(int slot, long pageIndex, long latencyNs, boolean coalesced) {
    }
}
