package io.postcopy.engine.vm;

import io.postcopy.engine.backend.GuestAccessor;

/**
 * What a workload sees of the vCPU executing it: the memory accessor, the vCPU's id and count, its random
 * numbers and its cursor. Used only by the vCPU's own thread.
 */
public final class Vcpu {
    private final GuestAccessor memory;
    private final int vcpuCount;
    private final int vcpuId;
    private long steps;
    private long rngState;
    private long cursor;

    Vcpu(GuestAccessor memory, int vcpuCount, VcpuState state) {
        this.memory = memory;
        this.vcpuCount = vcpuCount;
        this.vcpuId = state.vcpuId();
        this.steps = state.steps();
        this.rngState = state.rngState();
        this.cursor = state.cursor();
    }

    /** Guest memory as this vCPU sees it. */
    public GuestAccessor memory() {
        return memory;
    }

    /** This vCPU's id. */
    public int id() {
        return vcpuId;
    }

    /** Number of vCPUs of the VM. */
    public int vcpuCount() {
        return vcpuCount;
    }

    /** The workload's cursor. */
    public long cursor() {
        return cursor;
    }

    /** Moves the workload's cursor. */
    public void cursor(long newCursor) {
        this.cursor = newCursor;
    }

    /** Next pseudo-random long (xorshift64*): deterministic from the vCPU's state, so it migrates. */
    public long nextLong() {
        long x = rngState;
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        rngState = x;
        return x * 0x2545F4914F6CDD1DL;
    }

    /** Uniform in {@code [0, bound)}. */
    public long nextLong(long bound) {
        return Math.floorMod(nextLong(), bound);
    }

    /** Steps executed so far. */
    public long steps() {
        return steps;
    }

    void countStep() {
        steps++;
    }

    VcpuState state() {
        return new VcpuState(vcpuId, steps, rngState, cursor);
    }
}
