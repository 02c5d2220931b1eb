package io.postcopy.cli.metrics;

import io.postcopy.engine.fault.FaultListener;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Records the latency of every resolved fault in an HdrHistogram {@link Recorder} (wait-free for the faulting
 * threads) and reports percentiles in microseconds.
 *
 * <p>Thread-safety: {@link #onFaultResolved} may be called from any number of threads at once; {@link #summary()}
 * may be called from any thread, and each call folds what was recorded since the previous one into a running
 * total. Each fault is one measured wait from the fault to the wake-up, not a sample taken at a fixed rate, so
 * there is no coordinated omission to correct for.
 */
public final class FaultLatencyRecorder implements FaultListener {
    private static final int SIGNIFICANT_DIGITS = 3;

    private final Recorder recorder = new Recorder(SIGNIFICANT_DIGITS);
    private final Histogram total = new Histogram(SIGNIFICANT_DIGITS);
    private Histogram recycled;

    @Override
    public void onFaultResolved(int slot, long pageIndex, long latencyNs, boolean coalesced) {
        record(latencyNs);
    }

    /** Records one latency in nanoseconds; a negative value (a clock step) counts as 0. */
    public void record(long latencyNs) {
        recorder.recordValue(Math.max(0, latencyNs));
    }

    /** The percentiles of everything recorded so far. */
    public synchronized LatencySummary summary() {
        recycled = recorder.getIntervalHistogram(recycled);
        total.add(recycled);
        if (total.getTotalCount() == 0) {
            return new LatencySummary(0, 0, 0, 0, 0);
        }
        return new LatencySummary(total.getTotalCount(), micros(total.getValueAtPercentile(50)),
            micros(total.getValueAtPercentile(99)), micros(total.getValueAtPercentile(99.9)),
            micros(total.getMaxValue()));
    }

    private static double micros(long nanos) {
        return Math.round(nanos / 100.0) / 10.0;
    }

    /**
     * Fault latency percentiles, in microseconds rounded to 0.1.
     *
     * @param count how many faults were recorded
     * @param p50   median
     * @param p99   99th percentile
     * @param p999  99.9th percentile
     * @param max   the largest
     */
    public record LatencySummary(long count, double p50, double p99, double p999, double max) {
    }
}
