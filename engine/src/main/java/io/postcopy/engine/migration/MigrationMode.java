package io.postcopy.engine.migration;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.util.Locale;

/** How memory crosses, as chosen with {@code --mode}. */
public enum MigrationMode {
    /** Stop at once, resume on the destination at once, every page follows on demand or in the background. */
    POSTCOPY,
    /**
     * Precopy rounds with dirty tracking while the VM runs, then switch to post-copy (after N rounds, when the
     * dirty set stops shrinking, or on command); pages dirtied again after they were sent are discarded.
     */
    HYBRID,
    /**
     * Classic precopy, the baseline: iterate until the remaining dirty set fits the downtime budget (or give up
     * after a round limit), then stop and copy what is left; the destination never faults.
     */
    PRECOPY;

    /** The name used on the command line and in reports. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param name postcopy, hybrid or precopy
     * @throws PostcopyException for anything else
     */
    public static MigrationMode fromCliName(String name) {
        for (MigrationMode mode : values()) {
            if (mode.cliName().equalsIgnoreCase(name.trim())) {
                return mode;
            }
        }
        throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
            "mode '" + name + "' (expected: postcopy, hybrid or precopy)");
    }
}
