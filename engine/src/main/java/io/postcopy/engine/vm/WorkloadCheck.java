package io.postcopy.engine.vm;

/**
 * Result of a workload's self-check.
 *
 * @param itemsChecked   cells or records examined
 * @param violations     how many broke an invariant (0 means pass)
 * @param firstViolation a description of the first one, or empty
 */
public record WorkloadCheck(long itemsChecked, long violations, String firstViolation) {
    /** True when nothing was wrong. */
    public boolean passed() {
        return violations == 0;
    }
}
