package io.postcopy.engine.vm;

import io.postcopy.engine.backend.DirectAccessor;
import io.postcopy.engine.memory.GuestMemory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The workloads' own checks must catch what a broken migration would do to memory. */
class WorkloadSelfCheckTest {
    @ParameterizedTest
    @ValueSource(strings = {"sequential", "random", "hotset", "kv"})
    void shouldPassOnIntactMemoryAndFailWhenAPageIsMisplaced(String name) {
        try (GuestMemory memory = GuestMemory.allocate(64 * 4096, 4096)) {
            Workload workload = Workloads.create(name);
            DirectAccessor accessor = new DirectAccessor(memory);
            workload.initialize(accessor, 2);
            assertTrue(workload.verify(accessor, 2).passed());

            // Install page 1's content at page 2: what a transport that mixed up page indexes would do.
            memory.page(2).copyFrom(memory.page(1));
            WorkloadCheck check = Workloads.create(name).verify(accessor, 2);
            assertFalse(check.passed(), name + " did not notice a misplaced page");
            assertFalse(check.firstViolation().isEmpty());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sequential", "random", "hotset", "kv"})
    void shouldFailWhenAPageIsTorn(String name) {
        try (GuestMemory memory = GuestMemory.allocate(64 * 4096, 4096)) {
            DirectAccessor accessor = new DirectAccessor(memory);
            Workloads.create(name).initialize(accessor, 2);
            memory.page(0).set(ValueLayout.JAVA_LONG, 8, 12345L);
            WorkloadCheck check = Workloads.create(name).verify(accessor, 2);
            assertEquals(1, check.violations(), check.toString());
        }
    }
}
