package io.postcopy.engine.migration;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.fault.FaultListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InProcessMigrationTest {
    private static MigrationReport migrate(long memoryBytes, int pageSize, int vcpus, String workload)
        throws InterruptedException {
        InProcessMigration.Settings settings = new InProcessMigration.Settings(memoryBytes, pageSize, vcpus, workload,
            200, 200, 120, 42);
        return new InProcessMigration(settings, SoftwareBackend::new, new SimpleMeterRegistry(), FaultListener.NONE)
            .run();
    }

    private static void assertLossless(MigrationReport report) {
        long pages = report.memoryBytes() / report.pageSize();
        assertEquals(0, report.integrity().mismatches(), () -> "first mismatch " + report.integrity());
        assertEquals(pages, report.integrity().pagesVerified());
        assertEquals(0, report.pages().duplicate());
        assertEquals(pages, report.pages().installed(), "every page accounted for once");
        assertTrue(report.workloadCheck().passed(), report.workloadCheck().firstViolation());
        assertTrue(report.workloadCheck().itemsChecked() > 0);
        assertTrue(report.passed());
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldMigrateOneGibibyteLosslesslyWhileKeyValueWorkloadRuns() throws InterruptedException {
        MigrationReport report = migrate(1L << 30, 4096, 4, "kv");
        assertLossless(report);
        assertTrue(report.faults() > 0, "the running destination faulted on missing pages");
        assertTrue(report.pages().demand() > 0);
        assertTrue(report.pages().background() > 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sequential", "random", "hotset", "kv"})
    void shouldMigrateEveryWorkloadLosslessly(String workload) throws InterruptedException {
        MigrationReport report = migrate(64L << 20, 4096, 4, workload);
        assertLossless(report);
        if (workload.equals("sequential")) {
            assertEquals(report.memoryBytes() / report.pageSize() / 4, report.pages().zero(),
                "a read-only guest leaves every fourth page zero, and each travels as a zero page");
        }
    }

    @Test
    void shouldMigrateWithHugePages() throws InterruptedException {
        assertLossless(migrate(64L << 20, 2 * 1024 * 1024, 2, "random"));
    }
}
