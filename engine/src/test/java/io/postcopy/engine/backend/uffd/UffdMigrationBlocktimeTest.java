package io.postcopy.engine.backend.uffd;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.fault.FaultListener;
import io.postcopy.engine.migration.InProcessMigration;
import io.postcopy.engine.migration.MigrationReport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A whole migration on the userfaultfd backend: every vCPU that took kernel faults has its blocktime recorded. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UffdMigrationBlocktimeTest {
    private static final int VCPUS = 3;

    @Test
    void shouldRecordBlocktimeForEveryFaultingVcpuWhenMigratingOnUffd() throws InterruptedException {
        UffdTestSupport.assumeUffd();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicBoolean threadIds = new AtomicBoolean();
        InProcessMigration.Settings settings = new InProcessMigration.Settings(64L << 20, 4096, VCPUS, "random",
            100, 100, 60, 42);
        MigrationReport report = new InProcessMigration(settings, context -> {
            UffdBackend backend = new UffdBackend(context);
            threadIds.set(backend.recordsVcpuBlocktime());
            return backend;
        }, registry, FaultListener.NONE).run();

        assertTrue(report.passed(), report.toString());
        Assumptions.assumeTrue(threadIds.get(), "this kernel does not grant UFFD_FEATURE_THREAD_ID");
        assertTrue(report.uffdFaults() > 0, "the guest took kernel faults");
        long waits = 0;
        for (int vcpu = 0; vcpu < VCPUS; vcpu++) {
            Timer blocktime = registry.get("postcopy.vcpu.blocktime").tag("vcpu", Integer.toString(vcpu)).timer();
            assertTrue(blocktime.count() > 0, "vCPU " + vcpu + " of a random workload faulted and was timed");
            assertTrue(blocktime.totalTime(TimeUnit.NANOSECONDS) > 0);
            waits += blocktime.count();
        }
        assertTrue(waits <= report.uffdFaults(), "at most one wait per fault message: " + waits + " waits, "
            + report.uffdFaults() + " messages");
        assertEquals(0, registry.find("postcopy.vcpu.blocktime").tag("vcpu", Integer.toString(VCPUS)).timers()
            .size(), "no timer beyond the vCPUs");
    }
}
