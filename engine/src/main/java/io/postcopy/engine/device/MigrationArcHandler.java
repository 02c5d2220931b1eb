package io.postcopy.engine.device;

/**
 * What a device does on each arc of its migration state machine. Called by {@link DeviceStateMachine} with its
 * lock held, on the thread that requested the transition; must not request another transition.
 *
 * <p>An arc action that throws fails the arc: the machine moves the device to {@link DeviceMigrationState#ERROR}
 * and the request fails with {@code DEVICE_STATE}.
 */
public interface MigrationArcHandler {
    /** A handler that does nothing, for devices without migration data (and for tests of the arcs). */
    MigrationArcHandler NONE = new MigrationArcHandler() {
        @Override
        public void onArc(DeviceMigrationState from, DeviceMigrationState to) {
        }

        @Override
        public void onReset(DeviceMigrationState from) {
        }
    };

    /**
     * Performs the single-step arc {@code from -> to}; the machine has already checked that it is an arc.
     *
     * @throws RuntimeException to fail the arc (the device goes to ERROR)
     */
    void onArc(DeviceMigrationState from, DeviceMigrationState to);

    /**
     * Resets the device to a clean RUNNING device: discards any data transfer session (VFIO_DEVICE_RESET).
     *
     * @param from the state the device was in, possibly ERROR
     * @throws RuntimeException if the reset failed (the device stays in, or goes to, ERROR)
     */
    void onReset(DeviceMigrationState from);
}
