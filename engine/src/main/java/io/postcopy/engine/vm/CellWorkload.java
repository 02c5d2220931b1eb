package io.postcopy.engine.vm;

import io.postcopy.engine.backend.GuestAccessor;

/**
 * A workload over {@link Cells}: memory laid out by {@link Cells#initialize}, checked by {@link Cells#verifyAll}.
 * Subclasses say only how a vCPU steps.
 */
abstract class CellWorkload implements Workload {
    /** The cells' checker, which also counts violations seen during steps. */
    final Cells cells = new Cells();

    @Override
    public final void initialize(GuestAccessor memory, int vcpuCount) {
        Cells.initialize(memory);
    }

    @Override
    public final WorkloadCheck verify(GuestAccessor memory, int vcpuCount) {
        return cells.verifyAll(memory);
    }

    /** Number of cells in the memory {@code vcpu} sees. */
    static long cellCount(Vcpu vcpu) {
        return vcpu.memory().geometry().lengthInBytes() / Cells.CELL_BYTES;
    }
}
