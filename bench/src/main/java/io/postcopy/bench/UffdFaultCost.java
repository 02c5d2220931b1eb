package io.postcopy.bench;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.uffd.UffdBackend;
import io.postcopy.engine.backend.uffd.UserfaultfdProbe;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.port.PageSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * The Java counterpart of {@code bench/src/main/c/uffd_c_handler.c}: the cost of one MISSING fault when the
 * handler thread answers it itself with {@code UFFDIO_COPY} (an inline page source, no network), measured as the
 * wall time of a vCPU thread touching one byte of every page in order, divided by the number of pages.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp <bench classpath> io.postcopy.bench.UffdFaultCost
 * [pages=20000] [rounds=5]}. Prints one line per round; the first rounds include JIT warm-up.
 */
public final class UffdFaultCost {
    private UffdFaultCost() {
    }

    /**
     * @param args optional page count and number of rounds
     */
    public static void main(String[] args) {
        int pages = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        UserfaultfdProbe.ensureAvailability();
        MemoryGeometry geometry = new MemoryGeometry((long) pages * MemoryGeometry.SMALL_PAGE_SIZE,
            MemoryGeometry.SMALL_PAGE_SIZE);
        for (int round = 0; round < rounds; round++) {
            try (Arena arena = Arena.ofShared();
                 UffdBackend backend = new UffdBackend(FaultEngineContext.of(geometry, 1, 1024))) {
                MemorySegment content = arena.allocate(geometry.pageSize(), geometry.pageSize());
                backend.engine().attachSource(new InlineSource(backend, content));
                long[] result = new long[2];
                Thread vcpu = Thread.ofPlatform().name("vcpu-0").start(() -> {
                    GuestAccessor memory = backend.vcpuAccessor(0);
                    long start = System.nanoTime();
                    long sum = 0;
                    for (long p = 0; p < pages; p++) {
                        sum += memory.getByte(p * geometry.pageSize());
                    }
                    result[0] = System.nanoTime() - start;
                    result[1] = sum;
                });
                vcpu.join();
                System.out.printf(Locale.ROOT, "round=%d pages=%d uffdFaults=%d ns/fault=%.1f checksum=%d%n",
                    round, pages, backend.uffdFaultCount(), (double) result[0] / pages, result[1]);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Answers a demand request by installing on the requesting (handler) thread, like the C baseline. */
    private record InlineSource(UffdBackend backend, MemorySegment content) implements PageSource {
        @Override
        public void requestDemand(long pageIndex) {
            content.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) pageIndex);
            backend.installPage(pageIndex, content);
        }

        @Override
        public void requestPrefetch(long[] pageIndexes, int count) {
            for (int i = 0; i < count; i++) {
                requestDemand(pageIndexes[i]);
            }
        }
    }
}
