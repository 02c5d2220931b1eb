package io.postcopy.engine.vm;

/**
 * Each vCPU reads its own stripe of memory cell by cell, front to back, and wraps around; every cell read is
 * checked. Read-only: the worst case for demand faults with no locality benefit beyond the stripe.
 */
public final class SequentialScanWorkload extends CellWorkload {
    @Override
    public String name() {
        return "sequential";
    }

    @Override
    public void step(Vcpu vcpu) {
        long cellCount = cellCount(vcpu);
        long stripe = Math.max(1, cellCount / vcpu.vcpuCount());
        long first = Math.min(stripe * vcpu.id(), cellCount - 1);
        long cell = first + vcpu.cursor() % Math.min(stripe, cellCount - first);
        cells.check(vcpu.memory(), cell * Cells.CELL_BYTES);
        vcpu.cursor(vcpu.cursor() + 1);
    }
}
