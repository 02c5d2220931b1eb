package io.postcopy.engine.device;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.postcopy.engine.device.DeviceMigrationState.ERROR;
import static io.postcopy.engine.device.DeviceMigrationState.PRE_COPY;
import static io.postcopy.engine.device.DeviceMigrationState.PRE_COPY_P2P;
import static io.postcopy.engine.device.DeviceMigrationState.RESUMING;
import static io.postcopy.engine.device.DeviceMigrationState.RUNNING;
import static io.postcopy.engine.device.DeviceMigrationState.RUNNING_P2P;
import static io.postcopy.engine.device.DeviceMigrationState.STOP;
import static io.postcopy.engine.device.DeviceMigrationState.STOP_COPY;

/**
 * The arcs of the VFIO v2 migration state machine and the path between any two states, with the semantics of
 * Linux's {@code vfio_mig_get_next_state()} (drivers/vfio/vfio_main.c).
 *
 * <p>The next-state table below is the one of the kernel for a device with every optional feature: entry
 * {@code [from][target]} is the first step from {@code from} towards {@code target}. A step into a state the
 * device does not support is skipped by looking up the table again from that state, so a device without P2P
 * sees, for example, the arc RUNNING -> STOP where a P2P device sees RUNNING -> RUNNING_P2P -> STOP. The
 * single-step arcs of a device are exactly the pairs for which the first step is the target itself.
 *
 * <p>The resulting paths follow the two rules of the uapi: the shortest path, and no saving-group state
 * (STOP_COPY, PRE_COPY, PRE_COPY_P2P) in the interior unless the whole path stays inside the saving group
 * (PRE_COPY -> PRE_COPY_P2P -> STOP_COPY moves within one data session). STOP_COPY -> PRE_COPY and
 * STOP_COPY -> PRE_COPY_P2P are refused, as is any request for ERROR or for a state the device does not
 * support.
 *
 * <p>One deliberate difference: in the kernel's skip loop a table entry of ERROR (the refused STOP_COPY arcs)
 * would be looked up again, because ERROR's feature mask ({@code ~0U}) is never satisfied; here ERROR always
 * ends the lookup and the request is refused, which is the documented result. Stateless and thread-safe.
 */
public final class MigrationArcs {
    private static final DeviceMigrationState[] ORDER = DeviceMigrationState.values();

    /** Rows by {@code from}, columns by {@code target}, both in uapi order (ERROR, STOP, RUNNING, ...). */
    private static final DeviceMigrationState[][] FIRST_STEP = {
        // from ERROR: only a reset leaves it
        {ERROR, ERROR, ERROR, ERROR, ERROR, ERROR, ERROR, ERROR},
        // from STOP
        {ERROR, STOP, RUNNING_P2P, STOP_COPY, RESUMING, RUNNING_P2P, RUNNING_P2P, RUNNING_P2P},
        // from RUNNING
        {ERROR, RUNNING_P2P, RUNNING, RUNNING_P2P, RUNNING_P2P, RUNNING_P2P, PRE_COPY, RUNNING_P2P},
        // from STOP_COPY: STOP_COPY -> PRE_COPY(_P2P) are not permitted
        {ERROR, STOP, STOP, STOP_COPY, STOP, STOP, ERROR, ERROR},
        // from RESUMING
        {ERROR, STOP, STOP, STOP, RESUMING, STOP, STOP, STOP},
        // from RUNNING_P2P
        {ERROR, STOP, RUNNING, STOP, STOP, RUNNING_P2P, RUNNING, PRE_COPY_P2P},
        // from PRE_COPY
        {ERROR, RUNNING, RUNNING, PRE_COPY_P2P, RUNNING, RUNNING, PRE_COPY, PRE_COPY_P2P},
        // from PRE_COPY_P2P
        {ERROR, RUNNING_P2P, RUNNING_P2P, STOP_COPY, RUNNING_P2P, RUNNING_P2P, PRE_COPY, PRE_COPY_P2P},
    };

    private MigrationArcs() {
    }

    /**
     * The next state on the way from {@code from} to {@code target} for a device with {@code capabilities}.
     *
     * @return the next state ({@code from} itself when {@code from == target}), or empty when the request is
     *         refused: {@code from} or {@code target} unsupported, {@code target} is ERROR, {@code from} is ERROR
     *         (only a reset leaves it), or no permitted path exists
     */
    public static Optional<DeviceMigrationState> nextStep(DeviceMigrationState from, DeviceMigrationState target,
                                                         MigrationCapabilities capabilities) {
        if (!capabilities.canRequest(from) || !capabilities.canRequest(target)) {
            return Optional.empty();
        }
        DeviceMigrationState next = FIRST_STEP[from.vfioValue()][target.vfioValue()];
        while (next != ERROR && !capabilities.supports(next)) {
            next = FIRST_STEP[next.vfioValue()][target.vfioValue()];
        }
        return next == ERROR ? Optional.empty() : Optional.of(next);
    }

    /**
     * Whether {@code from -> to} is a single-step arc of a device with {@code capabilities}: an arc the device
     * implements with one action. Reset (any -> RUNNING) and failure (any -> ERROR) are not arcs.
     */
    public static boolean isArc(DeviceMigrationState from, DeviceMigrationState to,
                                MigrationCapabilities capabilities) {
        return from != to && nextStep(from, to, capabilities).filter(to::equals).isPresent();
    }

    /**
     * The states a request walks through, in order, ending with {@code target}; empty when
     * {@code from == target}.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} when the request is refused (see {@link #nextStep})
     */
    public static List<DeviceMigrationState> path(DeviceMigrationState from, DeviceMigrationState target,
                                                  MigrationCapabilities capabilities) {
        if (!capabilities.canRequest(from) || !capabilities.canRequest(target)) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, from + " -> " + target + " for a device with "
                + "capabilities " + capabilities + ": ERROR is left only by reset and never requested, and only "
                + "supported states can be requested");
        }
        List<DeviceMigrationState> steps = new ArrayList<>(4);
        DeviceMigrationState current = from;
        while (current != target) {
            Optional<DeviceMigrationState> next = nextStep(current, target, capabilities);
            if (next.isEmpty() || steps.size() >= ORDER.length) {
                throw new PostcopyException(ErrorCode.DEVICE_STATE, "no permitted path " + from + " -> " + target
                    + " for a device with capabilities " + capabilities);
            }
            current = next.get();
            steps.add(current);
        }
        return List.copyOf(steps);
    }
}
