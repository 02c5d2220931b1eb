package io.postcopy.bench;

import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.uffd.UffdBackend;
import io.postcopy.engine.backend.uffd.UserfaultfdProbe;
import io.postcopy.engine.fault.FaultEngineContext;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.port.PageSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The cost of one userfaultfd MISSING fault resolved by a handler thread with {@code UFFDIO_COPY} (no network),
 * measured the same way for the Java handler ({@link UffdBackend} with an inline page source) and for the C
 * baseline {@code uffd_c_handler.c}, which this class compiles from its own jar with {@code gcc -O2 -pthread}
 * into a temporary directory and runs, in the same process run. Both time a vCPU thread touching one byte of
 * every page in order and divide by the page count.
 *
 * <p>Run from the packaged jar (needs gcc and userfaultfd):
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp "bench/target/postcopy-bench.jar:bench/target/lib/*" \
 *     io.postcopy.bench.UffdFaultCost [pages=20000] [rounds=5]
 * </pre>
 * Prints one JSON object on stdout, {@code {"javaNsPerFault":..,"cNsPerFault":..,"ratio":..}} (ratio = Java / C),
 * each the median over {@code rounds} runs (the Java side after one extra warm-up round); every round is logged
 * on stderr. Exits 1 with the reason on stderr if userfaultfd or gcc is unavailable.
 */
public final class UffdFaultCost {
    private static final String C_SOURCE = "uffd_c_handler.c";
    private static final Pattern C_RESULT = Pattern.compile("ns/fault=([0-9.]+) bad=0 ");
    private static final long PROCESS_DEADLINE_S = 120;

    private UffdFaultCost() {
    }

    /**
     * @param args optional page count (default 20000) and number of measured rounds per side (default 5)
     */
    public static void main(String[] args) {
        int pages = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        try {
            UserfaultfdProbe.ensureAvailability();
            double[] java = new double[rounds];
            double[] c = new double[rounds];
            Path dir = Files.createTempDirectory("postcopy-uffd-bench");
            try {
                Path binary = compileC(dir);
                javaRound(pages, -1); // JIT warm-up, not counted
                for (int round = 0; round < rounds; round++) {
                    java[round] = javaRound(pages, round);
                    c[round] = cRound(binary, pages, round);
                }
            } finally {
                deleteQuietly(dir);
            }
            double javaNs = median(java);
            double cNs = median(c);
            System.out.printf(Locale.ROOT, "{\"javaNsPerFault\":%.1f,\"cNsPerFault\":%.1f,\"ratio\":%.3f}%n", javaNs,
                cNs, javaNs / cNs);
        } catch (IOException | RuntimeException e) {
            System.err.println("UffdFaultCost: " + e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.exit(1);
        }
    }

    /** One Java round: a fresh backend, a vCPU thread touching every page; returns ns per fault. */
    private static double javaRound(int pages, int round) throws InterruptedException {
        MemoryGeometry geometry = new MemoryGeometry((long) pages * MemoryGeometry.SMALL_PAGE_SIZE,
            MemoryGeometry.SMALL_PAGE_SIZE);
        try (Arena arena = Arena.ofShared();
             UffdBackend backend = new UffdBackend(FaultEngineContext.of(geometry, 1, 1024))) {
            MemorySegment content = arena.allocate(geometry.pageSize(), geometry.pageSize());
            backend.engine().attachSource(new InlineSource(backend, content));
            long[] result = new long[2];
            Thread vcpu = Thread.ofPlatform().name("vcpu-0").daemon().start(() -> {
                GuestAccessor memory = backend.vcpuAccessor(0);
                long start = System.nanoTime();
                long sum = 0;
                for (long p = 0; p < pages; p++) {
                    sum += memory.getByte(p * geometry.pageSize());
                }
                result[0] = System.nanoTime() - start;
                result[1] = sum;
            });
            if (!vcpu.join(Duration.ofSeconds(PROCESS_DEADLINE_S))) {
                throw new IllegalStateException("the Java round did not finish within " + PROCESS_DEADLINE_S + " s");
            }
            double nsPerFault = (double) result[0] / pages;
            System.err.printf(Locale.ROOT, "java round=%d pages=%d uffdFaults=%d ns/fault=%.1f checksum=%d%n", round,
                pages, backend.uffdFaultCount(), nsPerFault, result[1]);
            return nsPerFault;
        }
    }

    /** Extracts the C baseline from the jar into {@code dir} and compiles it; returns the binary. */
    private static Path compileC(Path dir) throws IOException, InterruptedException {
        Path source = dir.resolve(C_SOURCE);
        try (InputStream in = UffdFaultCost.class.getResourceAsStream(C_SOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + C_SOURCE + " missing from the bench jar");
            }
            Files.copy(in, source);
        }
        Path binary = dir.resolve("uffd_c_handler");
        String output = run(List.of("gcc", "-O2", "-pthread", "-o", binary.toString(), source.toString()), "gcc");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("gcc produced no binary: " + output);
        }
        return binary;
    }

    /** One C round; returns ns per fault as the C program measured it (it also checks every page's content). */
    private static double cRound(Path binary, int pages, int round) throws IOException, InterruptedException {
        String output = run(List.of(binary.toString(), Integer.toString(pages)), "uffd_c_handler").strip();
        Matcher m = C_RESULT.matcher(output + " ");
        if (!m.find()) {
            throw new IllegalStateException("unexpected output of uffd_c_handler: " + output);
        }
        System.err.println("c    round=" + round + " " + output);
        return Double.parseDouble(m.group(1));
    }

    /** Runs a command to completion within the deadline; returns its stdout and stderr, fails on exit != 0. */
    private static String run(List<String> command, String name) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(name + " could not be started (is it installed?): " + e.getMessage(), e);
        }
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(PROCESS_DEADLINE_S, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(name + " did not finish within " + PROCESS_DEADLINE_S + " s");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IllegalStateException(name + " exited with " + process.exitValue() + ": " + text.strip());
        }
        return text;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
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
