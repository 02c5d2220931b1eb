package io.postcopy.engine.device;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The VFIO v2 migration state machine of one device. A device starts in RUNNING (a freshly opened VFIO device
 * is RUNNING). A request for any supported state is walked along the path of {@link MigrationArcs}, one
 * single-step arc at a time, each performed by the device's {@link MigrationArcHandler}; if an arc action fails
 * the device goes to ERROR, which only {@link #reset} leaves.
 *
 * <p>Every change of state goes through one private transition method, which checks the arc, runs the action,
 * logs {@code old -> new} with the reason, and publishes the state in the gauge
 * {@code postcopy.device.migration.state} (tag {@code device}; value: the uapi number of the state).
 *
 * <p>Thread-safe: requests, resets and {@link #withStateLocked} are serialised on this object's monitor, which is
 * also the lock that guards the device's own state, so no guest access runs halfway through an arc.
 * {@link #state()} is a lock-free volatile read.
 */
public final class DeviceStateMachine {
    /** The gauge's name. */
    public static final String STATE_GAUGE = "postcopy.device.migration.state";

    private static final Logger LOG = LoggerFactory.getLogger(DeviceStateMachine.class);

    private enum Cause { REQUEST, RESET, FAILURE }

    private final String deviceName;
    private final MigrationCapabilities capabilities;
    private final MigrationArcHandler handler;
    private final AtomicInteger stateGaugeValue = new AtomicInteger(DeviceMigrationState.RUNNING.vfioValue());
    private volatile DeviceMigrationState state = DeviceMigrationState.RUNNING;

    /**
     * @param deviceName   names the device in logs and in the gauge's tag
     * @param capabilities the optional features the device implements
     * @param handler      the device's arc actions
     * @param registry     where the state gauge goes
     */
    public DeviceStateMachine(String deviceName, MigrationCapabilities capabilities, MigrationArcHandler handler,
                              MeterRegistry registry) {
        this.deviceName = Objects.requireNonNull(deviceName, "deviceName");
        this.capabilities = Objects.requireNonNull(capabilities, "capabilities");
        this.handler = Objects.requireNonNull(handler, "handler");
        Gauge.builder(STATE_GAUGE, stateGaugeValue, AtomicInteger::get)
            .tag("device", deviceName)
            .description("VFIO migration state of the device (enum vfio_device_mig_state)")
            .register(registry);
    }

    /** The device's name. */
    public String deviceName() {
        return deviceName;
    }

    /** The optional features of the device. */
    public MigrationCapabilities capabilities() {
        return capabilities;
    }

    /** The current state; a volatile read, callable from any thread. */
    public DeviceMigrationState state() {
        return state;
    }

    /**
     * Moves the device to {@code target} along the permitted path, performing each arc in turn
     * (VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE with SET).
     *
     * @param target the state wanted; a supported state other than ERROR
     * @param reason why, for the log
     * @return the states walked through, ending with {@code target}; empty if already there
     * @throws PostcopyException with {@code DEVICE_STATE} if the device is in ERROR, the target is refused, or an
     *                           arc action failed (the device is then in ERROR; any step before the failed one
     *                           has been taken)
     */
    public synchronized List<DeviceMigrationState> requestState(DeviceMigrationState target, String reason) {
        DeviceMigrationState from = state;
        if (from == DeviceMigrationState.ERROR) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, deviceName + " is in ERROR; requested " + target
                + " (" + reason + "): only a reset leaves ERROR");
        }
        List<DeviceMigrationState> path = MigrationArcs.path(from, target, capabilities);
        for (DeviceMigrationState step : path) {
            transition(step, reason, Cause.REQUEST);
        }
        return path;
    }

    /**
     * Resets the device (VFIO_DEVICE_RESET): from any state, including ERROR, back to RUNNING, discarding any
     * data transfer session.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} if the device's reset action failed (device in ERROR)
     */
    public synchronized void reset(String reason) {
        transition(DeviceMigrationState.RUNNING, reason, Cause.RESET);
    }

    /**
     * Runs {@code action} with the current state while no transition can start or be in progress: the device
     * uses this to serve guest MMIO and to DMA only in states that allow it. The action must be short and must
     * not request a transition.
     */
    public synchronized <T> T withStateLocked(Function<DeviceMigrationState, T> action) {
        return action.apply(state);
    }

    private void transition(DeviceMigrationState next, String reason, Cause cause) {
        DeviceMigrationState from = state;
        boolean allowed = switch (cause) {
            case REQUEST -> MigrationArcs.isArc(from, next, capabilities);
            case RESET -> next == DeviceMigrationState.RUNNING;
            case FAILURE -> next == DeviceMigrationState.ERROR;
        };
        if (!allowed) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, deviceName + ": " + from + " -> " + next
                + " is not an arc for capabilities " + capabilities + " (" + reason + ")");
        }
        if (cause != Cause.FAILURE) {
            try {
                if (cause == Cause.RESET) {
                    handler.onReset(from);
                } else {
                    handler.onArc(from, next);
                }
            } catch (RuntimeException e) {
                transition(DeviceMigrationState.ERROR, "arc " + from + " -> " + next + " failed: " + e.getMessage(),
                    Cause.FAILURE);
                throw new PostcopyException(ErrorCode.DEVICE_STATE, deviceName + ": arc " + from + " -> " + next
                    + " failed (" + reason + "); the device is in ERROR and must be reset", e);
            }
        }
        state = next;
        stateGaugeValue.set(next.vfioValue());
        if (cause == Cause.FAILURE) {
            LOG.warn("device {}: {} -> {} ({})", deviceName, from, next, reason);
        } else {
            LOG.info("device {}: {} -> {} ({})", deviceName, from, next, reason);
        }
    }
}
