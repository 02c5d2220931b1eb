package io.postcopy.engine.vm;

import io.postcopy.engine.backend.DirectAccessor;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedVmTest {
    private static void awaitSteps(SimulatedVm vm, long steps) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (vm.totalSteps() < steps) {
            assertTrue(System.nanoTime() < deadline, "vCPUs made no progress");
            Thread.sleep(1);
        }
    }

    @Test
    void shouldFreezeStatesWhilePausedAndContinueAfterResume() throws InterruptedException {
        try (GuestMemory memory = GuestMemory.allocate(4 << 20, 4096)) {
            Workload workload = Workloads.create("kv");
            DirectAccessor accessor = new DirectAccessor(memory);
            workload.initialize(accessor, 3);
            try (SimulatedVm vm = new SimulatedVm("t", i -> accessor, workload, SimulatedVm.initialStates(3, 1),
                System::nanoTime)) {
                vm.start();
                awaitSteps(vm, 1000);
                vm.pause(TimeUnit.SECONDS.toNanos(5));
                List<VcpuState> frozen = vm.vcpuStates();
                long steps = vm.totalSteps();
                assertEquals(frozen, vm.vcpuStates(), "paused vCPUs do not move");
                assertEquals(steps, frozen.stream().mapToLong(VcpuState::steps).sum());
                vm.resume();
                awaitSteps(vm, steps + 1000);
                assertTrue(vm.firstStepNanos() > 0);
                vm.pause(TimeUnit.SECONDS.toNanos(5));
                assertFalse(vm.failure().isPresent());
                assertTrue(workload.verify(accessor, 3).passed());
            }
        }
    }

    @Test
    void shouldRoundTripVcpuStateBytesAndRejectGarbage() {
        VcpuState state = new VcpuState(3, 1234, 0x5555L, 77);
        assertEquals(state, VcpuState.fromBytes(state.toBytes()));
        assertThrows(PostcopyException.class, () -> VcpuState.fromBytes(new byte[31]));
        assertThrows(PostcopyException.class, () -> VcpuState.fromBytes(new byte[32]), "zero rng state is invalid");
    }

    @Test
    void shouldRejectUnknownWorkloadName() {
        PostcopyException e = assertThrows(PostcopyException.class, () -> Workloads.create("bitcoin"));
        assertTrue(e.getMessage().contains("sequential, random, hotset, kv"), e.getMessage());
    }
}
