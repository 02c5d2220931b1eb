package io.postcopy.transport;

/** Where a source's VM is, as far as the source knows ({@link SourceNode#vmState()}). */
public enum SourceVmState {
    /**
     * Running here: no migration yet, one in progress before switchover, or one that failed before switchover and
     * was rolled back. Another destination may migrate it.
     */
    RUNNING,
    /**
     * Paused here since switchover: while the destination takes the pages, and for good if the migration failed
     * after switchover. The destination may then have resumed the VM, and this side's memory holds the only copy of
     * the pages that were never sent, so it is not resumed here (it could run twice) and no other destination is
     * accepted.
     */
    PAUSED,
    /** Migrated: the destination has every page and closed the session; the VM lives there now. */
    MIGRATED
}
