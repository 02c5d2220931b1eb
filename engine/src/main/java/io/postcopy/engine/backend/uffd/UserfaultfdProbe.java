package io.postcopy.engine.backend.uffd;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.nativeio.Libc;
import io.postcopy.engine.nativeio.Mman;
import io.postcopy.engine.nativeio.NativeMemory;
import io.postcopy.engine.nativeio.Poll;
import io.postcopy.engine.nativeio.UffdMessage;
import io.postcopy.engine.nativeio.UffdStructs;
import io.postcopy.engine.nativeio.Userfaultfd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Locale;

/**
 * Whether the userfaultfd backend can work here, decided once by doing it (Netty's {@code Epoll} style): open a
 * userfaultfd, negotiate {@link UffdBackend#REQUIRED_FEATURES}, register one page, let a thread fault on it
 * and resolve that fault with {@code UFFDIO_COPY}. Any failure on the way is the
 * {@linkplain #unavailabilityCause() cause}.
 *
 * <p>Thread-safe; the first call runs the probe (within about 2 s at worst), later calls return its result.
 */
public final class UserfaultfdProbe {
    private static final int PROBE_PAGE_SIZE = 4096;
    private static final int TIMEOUT_MS = 2000;
    private static final long MAGIC = 0x7566_6664_5f6f_6bL;

    private UserfaultfdProbe() {
    }

    /** True if the userfaultfd backend works on this machine. */
    public static boolean isAvailable() {
        return Holder.CAUSE == null;
    }

    /**
     * Returns normally if userfaultfd works.
     *
     * @throws PostcopyException ({@code NATIVE}) with the probe's failure as cause otherwise
     */
    public static void ensureAvailability() {
        Throwable cause = Holder.CAUSE;
        if (cause != null) {
            throw new PostcopyException(ErrorCode.NATIVE, "userfaultfd is not available here: " + cause.getMessage(),
                cause);
        }
    }

    /** Why userfaultfd does not work here, or null if it does. */
    public static Throwable unavailabilityCause() {
        return Holder.CAUSE;
    }

    /** Runs the probe now (tests; the cached answer is from the first run). Returns the failure or null. */
    static Throwable probe() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return new PostcopyException(ErrorCode.NATIVE, "the userfaultfd bindings are for Linux x86_64, this is "
                + os + "/" + arch);
        }
        if (!Libc.isAvailable()) {
            return new PostcopyException(ErrorCode.NATIVE, "libc downcalls are not available");
        }
        Arena arena = Arena.ofShared();
        Thread toucher = null;
        Userfaultfd uffd = null;
        try {
            uffd = Userfaultfd.open();
            uffd.api(UffdBackend.REQUIRED_FEATURES);
            MemorySegment page = Mman.mapAnonymous(arena, PROBE_PAGE_SIZE, PROBE_PAGE_SIZE);
            uffd.register(page, UffdStructs.UFFDIO_REGISTER_MODE_MISSING);
            MemorySegment landing = arena.allocate(Long.BYTES, Long.BYTES);
            toucher = Thread.ofPlatform().daemon().name("postcopy-uffd-probe").start(new Toucher(landing, page));
            resolveOneFault(uffd, arena, page);
            if (!toucher.join(Duration.ofMillis(TIMEOUT_MS))) {
                throw new PostcopyException(ErrorCode.NATIVE, "the faulting thread was not woken by UFFDIO_COPY");
            }
            if (landing.get(ValueLayout.JAVA_LONG, 0) != MAGIC) {
                throw new PostcopyException(ErrorCode.NATIVE, "the faulting thread read 0x"
                    + Long.toHexString(landing.get(ValueLayout.JAVA_LONG, 0)) + " instead of the installed content");
            }
            uffd.unregister(page);
            return null;
        } catch (Throwable t) {
            return t;
        } finally {
            if (uffd != null) {
                uffd.close(); // wakes the toucher if it is still blocked
            }
            if (toucher != null) {
                joinQuietly(toucher);
            }
            if (toucher == null || !toucher.isAlive()) {
                arena.close();
            }
        }
    }

    private static void resolveOneFault(Userfaultfd uffd, Arena arena, MemorySegment page) {
        Poll poll = new Poll(arena, uffd.fd());
        if (poll.await(TIMEOUT_MS) == 0) {
            throw new PostcopyException(ErrorCode.NATIVE, "no page-fault message within " + TIMEOUT_MS + " ms");
        }
        MemorySegment buffer = arena.allocate(UffdMessage.SIZE_IN_BYTES, 8);
        UffdMessage message = new UffdMessage();
        if (uffd.readMessages(buffer) != 1 || message.wrap(buffer, 0).event() != UffdStructs.UFFD_EVENT_PAGEFAULT
            || message.pagefaultAddress() != page.address()) {
            throw new PostcopyException(ErrorCode.NATIVE, "expected one page fault at 0x"
                + Long.toHexString(page.address()) + ", read " + message);
        }
        MemorySegment content = arena.allocate(PROBE_PAGE_SIZE, PROBE_PAGE_SIZE);
        content.set(ValueLayout.JAVA_LONG, 0, MAGIC);
        long copied = uffd.copy(page, content, 0);
        if (copied != PROBE_PAGE_SIZE) {
            throw new PostcopyException(ErrorCode.NATIVE, "UFFDIO_COPY returned " + copied
                + (copied < 0 ? " (" + Libc.strerror((int) -copied) + ")" : ""));
        }
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join(Duration.ofMillis(TIMEOUT_MS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Touches the probe page in native state; a class of its own so it never waits for the probe's class init. */
    private record Toucher(MemorySegment landing, MemorySegment page) implements Runnable {
        @Override
        public void run() {
            NativeMemory.copy(landing, page, Long.BYTES);
        }
    }

    /** Runs the probe once, on first use. */
    private static final class Holder {
        static final Throwable CAUSE = probe();
    }
}
