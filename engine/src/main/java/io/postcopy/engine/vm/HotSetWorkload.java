package io.postcopy.engine.vm;

/**
 * A skewed working set: 90% of steps touch a hot region of 10% of memory (read or write, half and half), the
 * rest touch any cell. The shape most guests have, and the one prefetch around faults helps most.
 */
public final class HotSetWorkload extends CellWorkload {
    /** Share of memory that is hot. */
    static final double HOT_FRACTION = 0.10;
    /** Share of steps that go to the hot region. */
    static final double HOT_PROBABILITY = 0.90;

    @Override
    public String name() {
        return "hotset";
    }

    @Override
    public void step(Vcpu vcpu) {
        long cellCount = cellCount(vcpu);
        long hotCells = Math.max(1, (long) (cellCount * HOT_FRACTION));
        long hotFirst = (cellCount - hotCells) / 3;
        boolean hot = vcpu.nextLong(1000) < HOT_PROBABILITY * 1000;
        long first = hot ? hotFirst : 0;
        long count = hot ? hotCells : cellCount;
        if ((vcpu.nextLong() & 1) == 0) {
            vcpu.memory().getLong(Cells.randomCell(vcpu, first, count));
        } else {
            long offset = Cells.randomOwnedCell(vcpu, first, count);
            if (offset >= 0) {
                Cells.write(vcpu.memory(), offset, vcpu.nextLong() | 1);
            }
        }
    }
}
