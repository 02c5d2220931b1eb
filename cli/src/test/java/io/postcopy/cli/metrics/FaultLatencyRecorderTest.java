package io.postcopy.cli.metrics;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FaultLatencyRecorderTest {
    @Test
    void shouldReportPercentilesInMicrosecondsWhenLatenciesAreKnown() {
        FaultLatencyRecorder recorder = new FaultLatencyRecorder();
        for (long micros = 1; micros <= 1000; micros++) {
            recorder.onFaultResolved(0, micros, micros * 1000, false);
        }

        FaultLatencyRecorder.LatencySummary summary = recorder.summary();

        assertEquals(1000, summary.count());
        // HdrHistogram with 3 significant digits: each value is within 0.1% of the exact one.
        assertEquals(500, summary.p50(), 0.5);
        assertEquals(990, summary.p99(), 1.0);
        assertEquals(999, summary.p999(), 1.0);
        assertEquals(1000, summary.max(), 1.0);
    }

    @Test
    void shouldKeepEarlierValuesWhenSummarizedTwice() {
        FaultLatencyRecorder recorder = new FaultLatencyRecorder();
        recorder.record(10_000_000);
        recorder.summary();
        recorder.record(1_000);

        FaultLatencyRecorder.LatencySummary summary = recorder.summary();

        assertEquals(2, summary.count());
        assertEquals(10_000, summary.max(), 10);
    }

    @Test
    void shouldReportZerosWhenNothingWasRecorded() {
        assertEquals(new FaultLatencyRecorder.LatencySummary(0, 0, 0, 0, 0), new FaultLatencyRecorder().summary());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldCountEveryFaultWhenThreadsRecordAtOnce() throws InterruptedException {
        FaultLatencyRecorder recorder = new FaultLatencyRecorder();
        int threads = 4;
        int perThread = 50_000;
        Thread[] writers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int slot = t;
            writers[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perThread; i++) {
                    recorder.onFaultResolved(slot, i, 1_000 + i, false);
                    if (i % 10_000 == 0) {
                        recorder.summary();
                    }
                }
            });
        }
        for (Thread writer : writers) {
            writer.join();
        }

        assertEquals((long) threads * perThread, recorder.summary().count());
    }
}
