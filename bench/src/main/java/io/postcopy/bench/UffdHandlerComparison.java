package io.postcopy.bench;

import io.postcopy.engine.backend.uffd.UserfaultfdProbe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A userfaultfd MISSING fault resolved locally (no network) by the engine's Java handler thread vs by the C handler
 * {@code uffd_c_handler.c}: runs {@link UffdFaultCost} (which compiles the C handler from the bench jar and runs
 * Java and C rounds interleaved, medians of each) in a child JVM on this JVM's class path, and reads the one JSON
 * line it prints. One method, one place: the comparison is {@code UffdFaultCost}'s.
 */
final class UffdHandlerComparison {
    private static final Logger LOG = LoggerFactory.getLogger(UffdHandlerComparison.class);
    private static final Pattern RESULT = Pattern.compile(
        "\\{\"javaNsPerFault\":([0-9.]+),\"cNsPerFault\":([0-9.]+),\"ratio\":([0-9.]+)}");
    private static final long DEADLINE_S = 600;

    private UffdHandlerComparison() {
    }

    /**
     * @param javaNsPerFault median Java handler cost, or null if not measured
     * @param cNsPerFault    median C handler cost, or null if not measured
     * @param pages          pages per round
     * @param rounds         measured rounds per side
     * @param unavailable    why it was not measured, or null
     */
    record Result(Double javaNsPerFault, Double cNsPerFault, int pages, int rounds, String unavailable) {
    }

    static Result measure(int pages, int rounds) throws InterruptedException {
        if (!UserfaultfdProbe.isAvailable()) {
            return new Result(null, null, pages, rounds, "userfaultfd is not available here: "
                + UserfaultfdProbe.unavailabilityCause().getMessage());
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
            System.getProperty("java.class.path"), UffdFaultCost.class.getName(), Integer.toString(pages),
            Integer.toString(rounds));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            Matcher result = null;
            String last = "";
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    Matcher m = RESULT.matcher(line.trim());
                    if (m.matches()) {
                        result = m;
                    } else {
                        LOG.info("UffdFaultCost: {}", line);
                        last = line;
                    }
                }
            }
            if (!process.waitFor(DEADLINE_S, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(null, null, pages, rounds, "UffdFaultCost did not finish within " + DEADLINE_S
                    + " s");
            }
            if (process.exitValue() != 0 || result == null) {
                return new Result(null, null, pages, rounds, "UffdFaultCost exited with " + process.exitValue()
                    + ": " + last.strip());
            }
            return new Result(Double.parseDouble(result.group(1)), Double.parseDouble(result.group(2)), pages, rounds,
                null);
        } catch (IOException e) {
            return new Result(null, null, pages, rounds, "UffdFaultCost could not be started: " + e.getMessage());
        }
    }

    /** The median of {@code values}, or null if there are none. */
    static Double median(List<Double> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
