package io.postcopy.engine.device;

import java.util.List;

/**
 * The optional migration features of a device, as reported by {@code VFIO_DEVICE_FEATURE_MIGRATION}.
 * {@code VFIO_MIGRATION_STOP_COPY} is mandatory and always present: every device supports ERROR, STOP, RUNNING,
 * STOP_COPY and RESUMING. {@code p2p} adds RUNNING_P2P, {@code preCopy} adds PRE_COPY, and both together add
 * PRE_COPY_P2P. A state a device does not support is refused as a target, and the paths between supported
 * states skip it (see {@link MigrationArcs}).
 *
 * @param p2p     {@code VFIO_MIGRATION_P2P}
 * @param preCopy {@code VFIO_MIGRATION_PRE_COPY}
 */
public record MigrationCapabilities(boolean p2p, boolean preCopy) {
    /** {@code VFIO_MIGRATION_STOP_COPY}, bit 0. */
    public static final int VFIO_MIGRATION_STOP_COPY = 1;
    /** {@code VFIO_MIGRATION_P2P}, bit 1. */
    public static final int VFIO_MIGRATION_P2P = 1 << 1;
    /** {@code VFIO_MIGRATION_PRE_COPY}, bit 2. */
    public static final int VFIO_MIGRATION_PRE_COPY = 1 << 2;

    /** Only the mandatory STOP_COPY feature. */
    public static final MigrationCapabilities NONE = new MigrationCapabilities(false, false);
    /** Every optional feature. */
    public static final MigrationCapabilities ALL = new MigrationCapabilities(true, true);

    /** The four combinations, NONE first. */
    public static List<MigrationCapabilities> combinations() {
        return List.of(NONE, new MigrationCapabilities(true, false), new MigrationCapabilities(false, true), ALL);
    }

    /** The {@code flags} word of {@code struct vfio_device_feature_migration}. */
    public int vfioFlags() {
        return VFIO_MIGRATION_STOP_COPY | (p2p ? VFIO_MIGRATION_P2P : 0) | (preCopy ? VFIO_MIGRATION_PRE_COPY : 0);
    }

    /**
     * Whether a device with these features can be in {@code state}. ERROR is always possible (a failed arc),
     * but it can never be requested: see {@link #canRequest}.
     */
    public boolean supports(DeviceMigrationState state) {
        return switch (state) {
            case ERROR, STOP, RUNNING, STOP_COPY, RESUMING -> true;
            case RUNNING_P2P -> p2p;
            case PRE_COPY -> preCopy;
            case PRE_COPY_P2P -> p2p && preCopy;
        };
    }

    /** Whether {@code state} may be the target of a request: a supported state other than ERROR. */
    public boolean canRequest(DeviceMigrationState state) {
        return state != DeviceMigrationState.ERROR && supports(state);
    }

    @Override
    public String toString() {
        return p2p ? (preCopy ? "P2P+PRE_COPY" : "P2P") : (preCopy ? "PRE_COPY" : "NONE");
    }
}
