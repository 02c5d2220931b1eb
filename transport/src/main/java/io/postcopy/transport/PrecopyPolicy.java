package io.postcopy.transport;

import io.postcopy.engine.migration.MigrationMode;

/**
 * Decides, after each precopy round, whether to run another one: hybrid switches to post-copy after its round
 * count or as soon as the dirty set stops shrinking (the VM dirties pages as fast as they are sent); precopy
 * stops once the remaining dirty pages could be sent within the downtime budget at the measured rate, or gives
 * up after its round limit. Pure.
 */
final class PrecopyPolicy {
    /** What to do after a round. */
    enum Decision {
        /** Run another precopy round over the pages dirtied meanwhile. */
        NEXT_ROUND,
        /** Hybrid: stop the VM, discard stale pages, go on in post-copy. */
        SWITCH_TO_POSTCOPY,
        /** Precopy: the rest fits the budget; stop the VM and copy it. */
        STOP_AND_COPY,
        /** Precopy: did not converge within the round limit; stop and copy anyway (long downtime). */
        GIVE_UP
    }

    private final MigrationMode mode;
    private final int hybridRounds;
    private final int maxRounds;
    private final long downtimeBudgetNs;

    PrecopyPolicy(MigrationMode mode, int hybridRounds, int maxRounds, long downtimeBudgetNs) {
        this.mode = mode;
        this.hybridRounds = hybridRounds;
        this.maxRounds = maxRounds;
        this.downtimeBudgetNs = downtimeBudgetNs;
    }

    /**
     * @param roundsDone       rounds completed, at least 1
     * @param dirtyPages       pages dirtied during the round just completed
     * @param previousDirty    pages dirtied during the round before (Long.MAX_VALUE after the first)
     * @param bytesPerSecond   rate the last round achieved
     * @param pageSize         bytes per page
     * @param switchoverAsked  the operator asked to switch now
     */
    Decision afterRound(int roundsDone, long dirtyPages, long previousDirty, double bytesPerSecond, int pageSize,
                        boolean switchoverAsked) {
        if (mode == MigrationMode.HYBRID) {
            boolean stalled = roundsDone >= 2 && dirtyPages >= previousDirty;
            return switchoverAsked || roundsDone >= hybridRounds || stalled || dirtyPages == 0
                ? Decision.SWITCH_TO_POSTCOPY : Decision.NEXT_ROUND;
        }
        double remainingNs = bytesPerSecond <= 0 ? Double.MAX_VALUE : dirtyPages * (double) pageSize / bytesPerSecond
            * 1e9;
        if (remainingNs <= downtimeBudgetNs || switchoverAsked) {
            return Decision.STOP_AND_COPY;
        }
        return roundsDone >= maxRounds ? Decision.GIVE_UP : Decision.NEXT_ROUND;
    }
}
