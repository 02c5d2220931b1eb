package io.postcopy.transport;

import io.postcopy.engine.error.PostcopyException;

/**
 * A migration attempt of a source failed, before or after switchover; thrown by
 * {@link SourceNode#awaitCompletion(long)}. Its code is the cause's; its message says what became of the VM.
 */
public final class FailedMigrationException extends PostcopyException {
    private static final long serialVersionUID = 1L;

    private final boolean beforeSwitchover;
    private final long unsentPages;

    FailedMigrationException(PostcopyException cause, boolean beforeSwitchover, long unsentPages, String outcome) {
        super(cause.code(), cause.detail() + "; " + outcome, cause);
        this.beforeSwitchover = beforeSwitchover;
        this.unsentPages = unsentPages;
    }

    /**
     * True if the attempt failed before switchover: the source was rolled back, its VM keeps running there and
     * another destination may migrate it. False if after: the VM stays paused at the source with its memory.
     */
    public boolean beforeSwitchover() {
        return beforeSwitchover;
    }

    /** Pages the destination was never sent, of which the source's memory holds the only copy after switchover. */
    public long unsentPages() {
        return unsentPages;
    }

    /** What went wrong, without what became of the VM: the cause's message. */
    public String causeMessage() {
        return getCause().getMessage();
    }
}
