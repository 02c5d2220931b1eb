package io.postcopy.engine.nativeio;

import io.postcopy.engine.error.PostcopyException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The userfaultfd bindings against the running kernel, below any backend logic. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UserfaultfdTest {
    private static final int PAGE = 4096;

    @ParameterizedTest
    @EnumSource(Userfaultfd.OpenRoute.class)
    void shouldNegotiateApiWhenOpenedByRoute(Userfaultfd.OpenRoute route) {
        try (Userfaultfd uffd = openOrSkip(route)) {
            UffdApi api = uffd.api(UffdStructs.UFFD_FEATURE_EVENT_REMOVE);
            assertTrue(api.isEnabled(UffdStructs.UFFD_FEATURE_EVENT_REMOVE));
            assertTrue((api.availableFeatures() & UffdStructs.UFFD_FEATURE_EVENT_UNMAP) != 0, "kernel 4.11+");
            assertTrue((api.ioctls() & 1L << UffdStructs.UFFDIO_REGISTER_BIT) != 0);
            assertEquals(route, uffd.route());
        }
    }

    @Test
    void shouldRefuseFeatureWhenKernelDoesNotKnowIt() {
        try (Userfaultfd uffd = openOrSkip(Userfaultfd.OpenRoute.SYSCALL)) {
            PostcopyException e = assertThrows(PostcopyException.class, () -> uffd.api(1L << 62));
            assertTrue(e.getMessage().contains("0x4000000000000000"), e.getMessage());
        }
    }

    @Test
    void shouldReportEexistWhenPageIsAlreadyPresent() {
        try (Arena arena = Arena.ofShared(); Userfaultfd uffd = openOrSkip(Userfaultfd.OpenRoute.SYSCALL)) {
            uffd.api(0);
            MemorySegment range = Mman.mapAnonymous(arena, 2L * PAGE, PAGE);
            long ioctls = uffd.register(range, UffdStructs.UFFDIO_REGISTER_MODE_MISSING);
            assertTrue((ioctls & 1L << UffdStructs.UFFDIO_COPY_BIT) != 0);
            MemorySegment content = arena.allocate(PAGE, PAGE).fill((byte) 7);

            assertEquals(PAGE, uffd.copy(range.asSlice(0, PAGE), content, 0));
            assertEquals(-Libc.EEXIST, uffd.copy(range.asSlice(0, PAGE), content, 0));
            assertEquals(PAGE, uffd.zeroPage(range.asSlice(PAGE, PAGE), 0));
            assertEquals(-Libc.EEXIST, uffd.zeroPage(range.asSlice(PAGE, PAGE), 0));
            assertEquals(0, uffd.wake(range));
            assertEquals(7, range.get(java.lang.foreign.ValueLayout.JAVA_BYTE, PAGE - 1));
            uffd.unregister(range);
        }
    }

    @Test
    void shouldReadRemoveEventWhenGuestAdvisesDontNeed() throws Exception {
        try (Arena arena = Arena.ofShared(); Userfaultfd uffd = openOrSkip(Userfaultfd.OpenRoute.SYSCALL)) {
            uffd.api(UffdStructs.UFFD_FEATURE_EVENT_REMOVE);
            MemorySegment range = Mman.mapAnonymous(arena, 4L * PAGE, PAGE);
            uffd.register(range, UffdStructs.UFFDIO_REGISTER_MODE_MISSING);
            Thread advisor = Thread.ofPlatform().daemon().start(
                () -> Mman.madvise(range.asSlice(PAGE, 2L * PAGE), Mman.MADV_DONTNEED));

            Poll poll = new Poll(arena, uffd.fd());
            assertTrue(poll.await(10_000) > 0, "REMOVE event within 10 s");
            MemorySegment buffer = arena.allocate(4 * UffdMessage.SIZE_IN_BYTES, 8);
            assertEquals(1, uffd.readMessages(buffer));
            UffdMessage message = new UffdMessage().wrap(buffer, 0);
            assertEquals(UffdStructs.UFFD_EVENT_REMOVE, message.event(), message.toString());
            assertEquals(range.address() + PAGE, message.removeStart());
            assertEquals(range.address() + 3L * PAGE, message.removeEnd());
            assertTrue(advisor.join(Duration.ofSeconds(10)), "madvise returns once the event was read");
            assertEquals(0, uffd.readMessages(buffer), "non-blocking: nothing more queued");
            uffd.unregister(range);
        }
    }

    @Test
    void shouldBeIdempotentWhenClosedTwice() {
        Userfaultfd uffd = openOrSkip(Userfaultfd.OpenRoute.SYSCALL);
        assertFalse(uffd.isClosed());
        uffd.close();
        uffd.close();
        assertTrue(uffd.isClosed());
    }

    @Test
    void shouldWakePollerWhenEventFdIsSignalled() {
        try (Arena arena = Arena.ofConfined(); EventFd eventFd = EventFd.open()) {
            Poll poll = new Poll(arena, eventFd.fd());
            assertEquals(0, poll.await(0));
            eventFd.signal();
            assertEquals(1, poll.await(1000));
            assertTrue(poll.isReadable(0));
        }
    }

    private static Userfaultfd openOrSkip(Userfaultfd.OpenRoute route) {
        try {
            return Userfaultfd.open(route);
        } catch (PostcopyException e) {
            Assumptions.abort("userfaultfd route " + route + " unavailable here: " + e.getMessage());
            throw e;
        }
    }
}
