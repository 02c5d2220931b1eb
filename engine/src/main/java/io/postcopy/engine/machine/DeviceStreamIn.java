package io.postcopy.engine.machine;

import io.postcopy.engine.device.DeviceMigrationState;
import io.postcopy.engine.device.DeviceStateWriter;
import io.postcopy.engine.device.SimulatedDevice;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

/**
 * The destination side of one device's stream: checks that chunks arrive numbered 0, 1, 2, ... with nothing
 * after the LAST one, and feeds their bytes to the device's load session. The first error poisons the stream:
 * every later chunk is refused and the device is not verified.
 *
 * <p>Not thread-safe: the migration thread that owns the {@link MachineDevices} calls it.
 */
final class DeviceStreamIn {
    private final SimulatedDevice device;
    private DeviceStateWriter writer;
    private int nextSequence;
    private boolean lastSeen;
    private String failure;

    DeviceStreamIn(SimulatedDevice device) {
        this.device = device;
    }

    /** Moves the device to RESUMING and opens its load session. */
    void begin() {
        device.migration().requestState(DeviceMigrationState.RESUMING, "resume: loading migrated state");
        writer = device.stateWriter();
        nextSequence = 0;
        lastSeen = false;
        failure = null;
    }

    /**
     * Feeds one chunk.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} for a chunk before {@link #begin()}, out of order,
     *                           after the LAST chunk, after an earlier failure, or whose bytes the device refuses
     */
    void accept(int sequence, boolean last, byte[] data) {
        if (writer == null) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, device.name() + ": chunk " + sequence
                + " before the device is resuming (call beginResume first)");
        }
        if (failure != null) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, device.name() + ": chunk " + sequence
                + " refused, the stream failed earlier: " + failure);
        }
        if (lastSeen) {
            throw fail("chunk " + sequence + " after the LAST chunk " + (nextSequence - 1));
        }
        if (sequence != nextSequence) {
            throw fail("chunk out of order: sequence " + sequence + ", expected " + nextSequence
                + " (a gap or a repeat)");
        }
        nextSequence++;
        lastSeen = last;
        try {
            writer.write(data, 0, data.length);
        } catch (PostcopyException e) {
            failure = e.getMessage();
            throw e;
        }
    }

    /**
     * Ends the load: if the stream was whole, RESUMING -> STOP, on which the device checks the stream and the
     * SHA-256 of the loaded state. A device that fails is left in RESUMING (stream incomplete or refused) or in
     * ERROR (its check failed); either way it does not run until reset.
     *
     * @return null if the device is verified and in STOP, else why not
     */
    String finish() {
        if (writer == null) {
            return "the device never entered RESUMING";
        }
        writer = null;
        if (failure == null && !lastSeen) {
            failure = "the LAST chunk never arrived (" + nextSequence + " chunks received)";
        }
        if (failure != null) {
            return failure;
        }
        try {
            device.migration().requestState(DeviceMigrationState.STOP, "resume: migrated state loaded");
            return null;
        } catch (PostcopyException e) {
            failure = e.getMessage() + (e.getCause() == null ? "" : ": " + e.getCause().getMessage());
            return failure;
        }
    }

    private PostcopyException fail(String message) {
        failure = message;
        return new PostcopyException(ErrorCode.DEVICE_STATE, device.name() + ": " + message);
    }
}
