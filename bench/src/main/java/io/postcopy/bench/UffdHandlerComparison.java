package io.postcopy.bench;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.uffd.UffdBackend;
import io.postcopy.engine.backend.uffd.UserfaultfdProbe;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.port.PageSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A userfaultfd MISSING fault resolved locally (no network) by the engine's Java handler thread vs by the C
 * handler of {@code bench/src/main/c/uffd_c_handler.c}: the method of {@link UffdFaultCost}, run in this JVM, and
 * the C program compiled with the machine's {@code cc} and run as a child process. Both touch one byte of every page
 * of a fresh region in order and divide the wall time by the page count; each figure is the median of its rounds
 * (the Java side's first round, JIT warm-up, is left out).
 */
final class UffdHandlerComparison {
    private static final Logger LOG = LoggerFactory.getLogger(UffdHandlerComparison.class);
    private static final Pattern NS_PER_FAULT = Pattern.compile("ns/fault=([0-9.]+)");
    private static final String C_SOURCE = "c/uffd_c_handler.c";

    private UffdHandlerComparison() {
    }

    /**
     * @param javaNsPerFault median Java handler cost, or null if not measured
     * @param cNsPerFault    median C handler cost, or null if not measured
     * @param pages          pages per round
     * @param rounds         measured rounds per side
     * @param unavailable    why a side was not measured, or null
     */
    record Result(Double javaNsPerFault, Double cNsPerFault, int pages, int rounds, String unavailable) {
    }

    static Result measure(int pages, int rounds) throws InterruptedException {
        if (!UserfaultfdProbe.isAvailable()) {
            return new Result(null, null, pages, rounds, "userfaultfd is not available here: "
                + UserfaultfdProbe.unavailabilityCause().getMessage());
        }
        List<Double> java = new ArrayList<>();
        for (int round = 0; round <= rounds; round++) {
            double ns = javaRound(pages);
            if (round > 0) {
                java.add(ns);
            }
        }
        Double c;
        String unavailable = null;
        try {
            c = cRounds(pages, rounds);
        } catch (IOException e) {
            c = null;
            unavailable = "the C handler could not be built or run: " + e.getMessage();
            LOG.warn(unavailable);
        }
        return new Result(median(java), c, pages, rounds, unavailable);
    }

    private static double javaRound(int pages) throws InterruptedException {
        MemoryGeometry geometry = new MemoryGeometry((long) pages * MemoryGeometry.SMALL_PAGE_SIZE,
            MemoryGeometry.SMALL_PAGE_SIZE);
        try (Arena arena = Arena.ofShared();
             UffdBackend backend = new UffdBackend(FaultEngineContext.of(geometry, 1, 1024))) {
            MemorySegment content = arena.allocate(geometry.pageSize(), geometry.pageSize());
            backend.engine().attachSource(new InlineSource(backend, content));
            long[] elapsed = new long[1];
            Thread vcpu = Thread.ofPlatform().name("uffd-cost-vcpu").start(() -> {
                GuestAccessor memory = backend.vcpuAccessor(0);
                long start = System.nanoTime();
                long sum = 0;
                for (long p = 0; p < pages; p++) {
                    sum += memory.getByte(p * geometry.pageSize());
                }
                elapsed[0] = System.nanoTime() - start + (sum & 0);
            });
            vcpu.join();
            return (double) elapsed[0] / pages;
        }
    }

    private static Double cRounds(int pages, int rounds) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("postcopy-uffd-c");
        try {
            Path source = dir.resolve("uffd_c_handler.c");
            try (InputStream in = UffdHandlerComparison.class.getResourceAsStream(C_SOURCE)) {
                if (in == null) {
                    throw new IOException("resource " + C_SOURCE + " is missing from the bench jar");
                }
                Files.copy(in, source);
            }
            Path binary = dir.resolve("uffd_c_handler");
            run(List.of("cc", "-O2", "-pthread", "-o", binary.toString(), source.toString()));
            List<Double> results = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                String out = run(List.of(binary.toString(), Integer.toString(pages)));
                Matcher m = NS_PER_FAULT.matcher(out);
                if (!m.find()) {
                    throw new IOException("unexpected output of the C handler: " + out.strip());
                }
                results.add(Double.parseDouble(m.group(1)));
            }
            return median(results);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.deleteIfExists(file);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(command.getFirst() + " did not finish within 60 s");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + process.exitValue() + ": "
                + text.strip());
        }
        return text;
    }

    static Double median(List<Double> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Answers a demand request by installing on the requesting (handler) thread, like the C baseline. */
    private record InlineSource(UffdBackend backend, MemorySegment content) implements PageSource {
        @Override
        public void requestDemand(long pageIndex) {
            content.set(ValueLayout.JAVA_BYTE, 0, (byte) pageIndex);
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
