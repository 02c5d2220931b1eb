package io.postcopy.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.engine.migration.MigrationReport;
import io.postcopy.protocol.Feature;
import io.postcopy.protocol.Features;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The background stream in runs (PAGE_RUN), and a destination that still migrates from a source without them. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PageRunMigrationTest {
    private static final long MEMORY = 32L << 20;
    private static final long PAGES = MEMORY / 4096;

    private static SourceNode source() {
        return SourceNode.start(new SourceOptions("127.0.0.1", 0, MEMORY, 4096, 2, "kv", 0, 7),
            new SimpleMeterRegistry());
    }

    private static DestinationResult migrate(int port, AtomicReference<RunRecordingBackend> recorder)
        throws InterruptedException {
        DestinationOptions options = new DestinationOptions("127.0.0.1", port, context -> {
            RunRecordingBackend backend = new RunRecordingBackend(new SoftwareBackend(context));
            recorder.set(backend);
            return backend;
        }, 0, 60_000);
        return DestinationNode.migrate(options, new SimpleMeterRegistry(), FaultListener.NONE,
            MigrationProgress.NONE);
    }

    private static void assertLossless(DestinationResult result) {
        MigrationReport report = result.report();
        assertEquals(0, report.integrity().mismatches(), report.integrity().toString());
        assertEquals(PAGES, report.integrity().pagesVerified());
        assertEquals(0, report.pages().duplicate(), "a page is never sent twice");
        assertEquals(PAGES, report.pages().installed());
        assertTrue(report.passed());
    }

    @Test
    void shouldInstallBackgroundPagesInRunsWhenBothSidesSpeakPageRuns() throws Exception {
        AtomicReference<RunRecordingBackend> recorder = new AtomicReference<>();
        try (SourceNode source = source()) {
            DestinationResult result = migrate(source.localAddress().getPort(), recorder);
            assertLossless(result);
            SourceResult sent = source.awaitCompletion(30_000);
            assertEquals(PAGES, sent.demandPages() + sent.backgroundPages() + sent.zeroPages(),
                "the source sent every page exactly once");
        }
        RunRecordingBackend backend = recorder.get();
        assertTrue(backend.pageRuns.get() > 0, "RAW runs arrived as runs");
        assertTrue(backend.longestRun.get() > 1 && backend.longestRun.get() <= 64,
            "runs of up to 256 KiB, longest " + backend.longestRun.get());
        assertTrue(backend.pageRuns.get() + backend.zeroRuns.get() < PAGES / 4,
            "far fewer installs than pages: " + backend.pageRuns.get() + " + " + backend.zeroRuns.get());
    }

    @Test
    void shouldMigrateFromSourceThatPredatesPageRunsByAskingAgainWithoutThem() throws Exception {
        AtomicReference<RunRecordingBackend> recorder = new AtomicReference<>();
        try (SourceNode source = source();
             PredatingSourceProxy old = new PredatingSourceProxy(source.localAddress(), 4096, PAGES)) {
            DestinationResult result = migrate(old.port(), recorder);
            assertLossless(result);
            assertEquals(1, old.refused.get(), "the first CONTROL handshake asked for PAGE_RUNS and was refused");
            List<Long> forwarded = List.copyOf(old.forwardedFeatures);
            assertEquals(3, forwarded.size(), "CONTROL, URGENT and BACKGROUND, asked again: " + forwarded);
            for (long features : forwarded) {
                assertFalse(Features.contains(features, Feature.PAGE_RUNS));
                assertEquals((DestinationNode.REQUESTED_FEATURES & ~Feature.PAGE_RUNS.mask()) | Feature.RECOVERY.mask(),
                    features, "asked again without PAGE_RUNS, everything else (recovery too) as before");
            }
        }
        RunRecordingBackend backend = recorder.get();
        assertEquals(0, backend.pageRuns.get() + backend.zeroRuns.get(), "without PAGE_RUNS, one page per frame");
        assertEquals(PAGES, backend.singlePages.get());
    }
}
