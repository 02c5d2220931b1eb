package io.postcopy.engine.backend.uffd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class VcpuThreadIdsTest {
    @Test
    void shouldMapRegisteredThreadToItsVcpuAndNothingElse() {
        VcpuThreadIds ids = new VcpuThreadIds(3);
        ids.register(0, 100);
        ids.register(2, 300);
        assertEquals(0, ids.vcpuOf(100));
        assertEquals(2, ids.vcpuOf(300));
        assertEquals(-1, ids.vcpuOf(200), "not a vCPU thread");
        assertEquals(-1, ids.vcpuOf(0), "no thread id in the message");
    }

    @Test
    void shouldMoveIdWhenAnotherVcpuRegistersIt() {
        VcpuThreadIds ids = new VcpuThreadIds(2);
        ids.register(0, 100);
        ids.register(0, 101);
        assertEquals(-1, ids.vcpuOf(100), "vCPU 0 moved to another thread");
        ids.register(1, 101);
        assertEquals(1, ids.vcpuOf(101), "a reused thread id belongs to the vCPU that registered it last");
    }
}
