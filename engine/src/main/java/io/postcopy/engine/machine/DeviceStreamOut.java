package io.postcopy.engine.machine;

import io.postcopy.engine.device.DeviceStateReader;
import io.postcopy.engine.device.SimulatedDevice;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The source side of one device's stream: reads the device's save session and cuts it into {@link DeviceChunk}s
 * of at most {@code chunkBytes}, numbered without gaps across precopy and stop-and-copy.
 *
 * <p>Not thread-safe: the migration thread that owns the {@link MachineDevices} calls it.
 */
final class DeviceStreamOut {
    private final SimulatedDevice device;
    private final byte[] buffer;
    private int nextSequence;
    private boolean ended;
    private int stopReason;

    DeviceStreamOut(SimulatedDevice device, int chunkBytes) {
        this.device = device;
        this.buffer = new byte[chunkBytes];
    }

    /**
     * Emits what the running device has to send now: reads until the session has no data for the moment, or
     * {@code maxChunks} chunks were emitted.
     *
     * @return the number of data bytes emitted
     */
    long drainPrecopy(Consumer<DeviceChunk> consumer, int maxChunks) {
        checkNotEnded();
        DeviceStateReader reader = device.stateReader();
        long emitted = 0;
        for (int chunks = 0; chunks < maxChunks; chunks++) {
            int filled = fill(reader);
            if (stopReason == DeviceStateReader.END_OF_STREAM) {
                throw new PostcopyException(ErrorCode.INTERNAL, device.name() + ": end of stream during precopy");
            }
            if (filled > 0) {
                emit(consumer, filled, false);
                emitted += filled;
            }
            if (stopReason == DeviceStateReader.NO_DATA_YET) {
                break;
            }
        }
        return emitted;
    }

    /**
     * Emits the rest of the stream of a device in STOP_COPY, up to its end; the final chunk has {@code last} set.
     *
     * @return the number of data bytes emitted
     */
    long drainToEnd(Consumer<DeviceChunk> consumer) {
        checkNotEnded();
        DeviceStateReader reader = device.stateReader();
        long emitted = 0;
        while (!ended) {
            int filled = fill(reader);
            if (stopReason == DeviceStateReader.NO_DATA_YET) {
                throw new PostcopyException(ErrorCode.INTERNAL, device.name() + ": no data yet in STOP_COPY");
            }
            ended = stopReason == DeviceStateReader.END_OF_STREAM;
            emit(consumer, filled, ended);
            emitted += filled;
        }
        return emitted;
    }

    /** Number of chunks emitted so far. */
    int chunkCount() {
        return nextSequence;
    }

    /** Fills the buffer until it is full ({@code stopReason} 0) or the reader returns a negative status. */
    private int fill(DeviceStateReader reader) {
        int filled = 0;
        while (filled < buffer.length) {
            int count = reader.read(buffer, filled, buffer.length - filled);
            if (count < 0) {
                stopReason = count;
                return filled;
            }
            filled += count;
        }
        stopReason = 0;
        return filled;
    }

    private void emit(Consumer<DeviceChunk> consumer, int filled, boolean last) {
        byte[] data = filled == buffer.length ? buffer : Arrays.copyOf(buffer, filled);
        consumer.accept(new DeviceChunk(device.name(), nextSequence++, last, data));
    }

    private void checkNotEnded() {
        if (ended) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, device.name()
                + ": its stream already ended with chunk " + (nextSequence - 1));
        }
    }
}
