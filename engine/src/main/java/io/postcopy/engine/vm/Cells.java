package io.postcopy.engine.vm;

import io.postcopy.engine.backend.GuestAccessor;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Guest memory seen as 64-byte cells whose first two longs are {@code (v, v ^ tag(offset))}: a cell is valid if
 * that holds, or if both are zero (never written). The tag binds a cell to its address, so a page installed at
 * the wrong index, a stale page or a torn page fails the check. Shared by the scan, random and hot-set workloads.
 */
final class Cells {
    static final int CELL_BYTES = 64;

    private final AtomicLong violations = new AtomicLong();
    private final AtomicReference<String> firstViolation = new AtomicReference<>("");

    static long tag(long offset) {
        long z = offset * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 29)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 32);
    }

    static void write(GuestAccessor memory, long cellOffset, long value) {
        memory.putLong(cellOffset, value);
        memory.putLong(cellOffset + 8, value ^ tag(cellOffset));
    }

    /** Reads and checks a cell; counts a violation if broken. */
    void check(GuestAccessor memory, long cellOffset) {
        long value = memory.getLong(cellOffset);
        long check = memory.getLong(cellOffset + 8);
        if (!(value == 0 && check == 0) && check != (value ^ tag(cellOffset))) {
            violation("cell at offset " + cellOffset + " holds (" + value + ", " + check + ")");
        }
    }

    void violation(String description) {
        violations.incrementAndGet();
        firstViolation.compareAndSet("", description);
    }

    /** Writes cells into three of every four pages, leaving every fourth page zero (to exercise zero pages). */
    static void initialize(GuestAccessor memory) {
        int pageSize = memory.geometry().pageSize();
        for (long page = 0; page < memory.geometry().pageCount(); page++) {
            if (page % 4 == 3) {
                continue;
            }
            long base = page * pageSize;
            for (long cell = base; cell < base + pageSize; cell += CELL_BYTES) {
                write(memory, cell, tag(cell * 31 + 7) | 1);
            }
        }
    }

    WorkloadCheck verifyAll(GuestAccessor memory) {
        long cells = memory.geometry().lengthInBytes() / CELL_BYTES;
        for (long cell = 0; cell < cells; cell++) {
            check(memory, cell * CELL_BYTES);
        }
        return new WorkloadCheck(cells, violations.get(), firstViolation.get());
    }

    static long randomCell(Vcpu vcpu, long firstCell, long cellCount) {
        return (firstCell + vcpu.nextLong(cellCount)) * CELL_BYTES;
    }

    /**
     * A random cell in the range that vCPU {@code vcpu} owns (cell index modulo vCPU count equals its id): only
     * the owner writes a cell, so concurrent writers never tear one.
     */
    static long randomOwnedCell(Vcpu vcpu, long firstCell, long cellCount) {
        long n = vcpu.vcpuCount();
        long cell = firstCell + vcpu.nextLong(cellCount);
        cell = cell - Math.floorMod(cell, n) + vcpu.id();
        if (cell >= firstCell + cellCount) {
            cell -= n;
        }
        if (cell < firstCell) {
            return -1;
        }
        return cell * CELL_BYTES;
    }
}
