package io.postcopy.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Runs {@link PresentPageReadBenchmark} (and, in a full run, {@link SoftwareFaultBenchmark}) through JMH's Runner
 * API with the suite's iteration counts, JMH's own output going to stderr, and reads the scores from the
 * {@link RunResult}s.
 */
final class PresentReadJmh {
    private PresentReadJmh() {
    }

    /**
     * Scores in ns/op, with JMH's 99.9% error.
     *
     * @param randomAccessorNs     random 8-byte read through the software accessor
     * @param randomRawNs          random 8-byte read of the raw segment
     * @param sequentialAccessorNs sequential read through the accessor
     * @param sequentialRawNs      sequential raw read
     * @param softwareFaultNs      an in-process software fault, or null if not run
     * @param errorsNs             JMH's score error per benchmark method
     * @param memoryBytes          bytes the random reads range over
     */
    record Result(double randomAccessorNs, double randomRawNs, double sequentialAccessorNs, double sequentialRawNs,
                  Double softwareFaultNs, Map<String, Double> errorsNs, long memoryBytes) {
    }

    static Result run(int warmupIterations, int measurementIterations, long iterationMs, boolean softwareFault)
        throws RunnerException {
        String include = Pattern.quote(PresentPageReadBenchmark.class.getName()) + "\\..*";
        if (softwareFault) {
            include = "(" + include + "|" + Pattern.quote(SoftwareFaultBenchmark.class.getName()) + "\\..*)";
        }
        Options options = new OptionsBuilder()
            .include("^" + include + "$")
            .forks(1)
            .warmupIterations(warmupIterations)
            .warmupTime(TimeValue.milliseconds(iterationMs))
            .measurementIterations(measurementIterations)
            .measurementTime(TimeValue.milliseconds(iterationMs))
            .shouldFailOnError(true)
            .verbosity(VerboseMode.NORMAL)
            .build();
        Collection<RunResult> results = new Runner(options,
            OutputFormatFactory.createFormatInstance(System.err, VerboseMode.NORMAL)).run();
        Map<String, Double> scores = new HashMap<>();
        Map<String, Double> errors = new HashMap<>();
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            scores.put(method, result.getPrimaryResult().getScore());
            errors.put(method, result.getPrimaryResult().getScoreError());
        }
        return new Result(score(scores, "randomAccessorRead"), score(scores, "randomRawRead"),
            score(scores, "sequentialAccessorRead"), score(scores, "sequentialRawRead"),
            scores.get("faultEveryPage"), errors, 268_435_456L);
    }

    private static double score(Map<String, Double> scores, String method) {
        Double score = scores.get(method);
        if (score == null) {
            throw new IllegalStateException("JMH returned no result for " + method + " (results: " + scores.keySet()
                + ")");
        }
        return score;
    }
}
