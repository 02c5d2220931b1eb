package io.postcopy.engine.vm;

import io.postcopy.engine.backend.GuestAccessor;

/**
 * A guest program: what the simulated vCPUs do to guest memory. A workload keeps its per-vCPU state in the
 * {@link Vcpu} (so it migrates with the vCPU state) and can check its own invariants over the whole memory.
 *
 * <p>Implementations are stateless apart from an optional violation counter and are shared by all vCPUs.
 */
public interface Workload {
    /** The name used on the command line. */
    String name();

    /**
     * Lays out the initial memory on the source before the VM starts. Single-threaded.
     *
     * @param memory    all of guest memory, present
     * @param vcpuCount number of vCPUs that will run
     */
    void initialize(GuestAccessor memory, int vcpuCount);

    /**
     * One step (an "instruction") of vCPU {@code vcpu}: a few loads and stores. Called only by that vCPU's
     * thread. A violated invariant is counted, not thrown, and shows in {@link #verify}.
     */
    void step(Vcpu vcpu);

    /**
     * Checks the workload's invariants over all of memory while no vCPU runs.
     *
     * @param memory    an accessor that may fault pages in (a host accessor)
     * @param vcpuCount number of vCPUs that ran
     * @return what was checked and what was wrong, including violations seen during steps
     */
    WorkloadCheck verify(GuestAccessor memory, int vcpuCount);
}
