package io.postcopy.engine.device;

/**
 * The states of the Linux VFIO v2 device migration state machine ({@code enum vfio_device_mig_state} in
 * {@code include/uapi/linux/vfio.h}), with the same numbers.
 *
 * <p>What a device does in each state, as the uapi documents it and as the simulated devices implement it:
 * <ul>
 *   <li>{@link #RUNNING} and {@link #PRE_COPY}: fully operational; guest MMIO is served, the device may DMA.</li>
 *   <li>{@link #RUNNING_P2P} and {@link #PRE_COPY_P2P}: the P2P quiescent state. The device must not start
 *       peer-to-peer DMA; DMA into guest RAM (the only DMA our devices do) goes on. The uapi says that here,
 *       "like while in STOP or STOP_COPY the user must not touch the device", so guest MMIO is <em>not</em>
 *       served: writes are discarded and reads return all ones (what the VFIO migration documentation calls
 *       the ideal behaviour of a device that is not running).</li>
 *   <li>{@link #STOP}, {@link #STOP_COPY}, {@link #RESUMING}: no DMA, no interrupts, no change of internal
 *       state; MMIO ignored.</li>
 *   <li>{@link #ERROR}: the device failed an arc and could not return to a valid state; only a reset leaves
 *       it, to {@link #RUNNING}.</li>
 * </ul>
 * {@link #STOP_COPY}, {@link #PRE_COPY} and {@link #PRE_COPY_P2P} form the <em>saving group</em>: they share one
 * data transfer session.
 */
public enum DeviceMigrationState {
    /** The device failed and must be reset. Never a valid target of a request. */
    ERROR(0),
    /** Stopped: no DMA, no interrupts, no change of internal state. */
    STOP(1),
    /** Running normally. */
    RUNNING(2),
    /** Stopped, and its internal state can be read out (saving group). */
    STOP_COPY(3),
    /** Stopped, and loading a new internal state. */
    RESUMING(4),
    /** Running, except that it cannot do peer-to-peer DMA (optional, {@code VFIO_MIGRATION_P2P}). */
    RUNNING_P2P(5),
    /** Running, and streaming its state while tracking changes (optional, {@code VFIO_MIGRATION_PRE_COPY}). */
    PRE_COPY(6),
    /** PRE_COPY in the P2P quiescent state (needs both optional features). */
    PRE_COPY_P2P(7);

    private static final DeviceMigrationState[] BY_VFIO_VALUE = values();

    private final int vfioValue;

    DeviceMigrationState(int vfioValue) {
        this.vfioValue = vfioValue;
    }

    /** The number of this state in {@code enum vfio_device_mig_state}; also the value of the state gauge. */
    public int vfioValue() {
        return vfioValue;
    }

    /**
     * Finds a state by its uapi number.
     *
     * @throws IllegalArgumentException for a number outside 0..7
     */
    public static DeviceMigrationState fromVfioValue(int vfioValue) {
        if (vfioValue < 0 || vfioValue >= BY_VFIO_VALUE.length) {
            throw new IllegalArgumentException("vfioValue=" + vfioValue + " (expected: 0..7)");
        }
        return BY_VFIO_VALUE[vfioValue];
    }

    /** True for STOP_COPY, PRE_COPY and PRE_COPY_P2P, the states that share a save session. */
    public boolean isSaving() {
        return this == STOP_COPY || this == PRE_COPY || this == PRE_COPY_P2P;
    }

    /** True where guest MMIO is served (RUNNING, PRE_COPY); everywhere else it is ignored. */
    public boolean servesGuestMmio() {
        return this == RUNNING || this == PRE_COPY;
    }

    /** True where the device may DMA into guest RAM and advance its state on its own (running or P2P). */
    public boolean mayDma() {
        return this == RUNNING || this == PRE_COPY || this == RUNNING_P2P || this == PRE_COPY_P2P;
    }
}
