package io.postcopy.engine.vm;

/**
 * Each step reads any cell or writes one of its own cells (half and half), chosen uniformly over all of memory.
 * Writes keep the cell invariant; reads are not checked during steps (another vCPU may be mid-write), only at
 * verification.
 */
public final class UniformRandomWorkload extends CellWorkload {
    @Override
    public String name() {
        return "random";
    }

    @Override
    public void step(Vcpu vcpu) {
        long cellCount = cellCount(vcpu);
        if ((vcpu.nextLong() & 1) == 0) {
            vcpu.memory().getLong(Cells.randomCell(vcpu, 0, cellCount));
        } else {
            long offset = Cells.randomOwnedCell(vcpu, 0, cellCount);
            if (offset >= 0) {
                Cells.write(vcpu.memory(), offset, vcpu.nextLong() | 1);
            }
        }
    }
}
