package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.backend.uffd.UffdTestSupport.RecordingSource;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.nativeio.Mman;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import static io.postcopy.engine.backend.uffd.UffdTestSupport.PAGE_SIZE;
import static io.postcopy.engine.backend.uffd.UffdTestSupport.installPattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guest unmaps part of its RAM while a vCPU is blocked on a fault there: the vCPU must not be woken during the
 * run (it would SIGSEGV the JVM), and close must neither hang nor crash. A regression here kills the test JVM.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UffdUnmapTest {
    private static final long PAGES = 16;
    private static final long WAIT_MS = 10_000;
    private static final Executor NEW_THREAD = task -> Thread.ofPlatform().daemon().name("vcpu").start(task);
    @SuppressWarnings("restricted")
    private static final MethodHandle MUNMAP = Linker.nativeLinker().downcallHandle(
        Linker.nativeLinker().defaultLookup().find("munmap").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    private UffdBackend backend;
    private RecordingSource source;

    @BeforeEach
    void setUp() {
        UffdTestSupport.assumeUffd();
        backend = new UffdBackend(UffdTestSupport.context(PAGES, 2));
        source = new RecordingSource();
        backend.engine().attachSource(source);
    }

    @AfterEach
    void tearDown() {
        if (backend != null) {
            backend.close();
        }
    }

    private static void munmap(MemorySegment region) throws Throwable {
        assertEquals(0, (int) MUNMAP.invokeExact(MemorySegment.ofAddress(region.address()), region.byteSize()));
    }

    @Test
    void shouldKeepVcpuBlockedUntilCloseAndWakeItOntoZerosWhenGuestUnmapsItsPage() throws Throwable {
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(
            () -> backend.vcpuAccessor(0).getLong(5L * PAGE_SIZE + 8), NEW_THREAD);
        assertEquals(5L, source.requests.poll(WAIT_MS, TimeUnit.MILLISECONDS));

        munmap(backend.memory().page(5)); // returns once the handler has read the UNMAP event

        // An install waits on the remove lock, which the handler holds until it has processed the event.
        assertFalse(installPattern(backend, 5), "content for an unmapped page is dropped");
        assertEquals(1, backend.droppedPageCount());
        assertThrows(PostcopyException.class, () -> backend.hostAccessor().getLong(5L * PAGE_SIZE));
        assertFalse(read.isDone(), "a vCPU blocked on an unmapped page is not woken while the backend runs");
        assertTrue(installPattern(backend, 6), "the rest of guest RAM works on");

        UffdBackend closing = backend;
        backend = null;
        Thread closer = Thread.ofPlatform().daemon().name("closer").start(closing::close);
        assertTrue(closer.join(java.time.Duration.ofMillis(WAIT_MS)), "close returns within its deadlines");
        assertEquals(0L, read.get(WAIT_MS, TimeUnit.MILLISECONDS), "woken onto the refilled hole's zeros");
    }

    @Test
    void shouldRefuseToMapOverExistingMappingWhenMappingAtFixedAddress() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment taken = Mman.mapAnonymous(arena, 2L * PAGE_SIZE, PAGE_SIZE);
            taken.set(ValueLayout.JAVA_LONG, 0, 42L);
            assertFalse(Mman.mapAnonymousAt(taken.address(), PAGE_SIZE), "never replaces a mapping");
            assertEquals(42L, taken.get(ValueLayout.JAVA_LONG, 0));
        }
    }
}
