package io.postcopy.engine.genid;

/**
 * How {@link GenerationCounter#waitForWatchers} ended.
 *
 * @param outcome          why the wait returned
 * @param outdatedWatchers watchers that had not acknowledged the current generation when it returned
 */
public record WaitResult(Outcome outcome, int outdatedWatchers) {
    /** Why a wait for watchers returned. */
    public enum Outcome {
        /** No watcher is outdated: every open watcher has acknowledged the current generation. */
        ALL_ACKNOWLEDGED,
        /** The timeout expired with outdated watchers left. */
        TIMED_OUT,
        /**
         * The caller's own watcher is outdated, or became so while waiting (sysgenid's {@code -EINTR}): the
         * caller must handle the new generation, acknowledge it, and wait again.
         */
        CALLER_OUTDATED
    }
}
