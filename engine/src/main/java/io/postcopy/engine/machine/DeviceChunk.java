package io.postcopy.engine.machine;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One piece of a device's migration data stream, as it travels in a {@code DEVICE_STATE_CHUNK} message
 * (protocol/PROTOCOL.md, 0x22). A device's stream is cut into chunks numbered 0, 1, 2, ... without gaps across
 * precopy and stop-and-copy; the chunk that ends the stream has {@code last} set, and only that one may be empty.
 * The bytes are opaque here: the device's own stream format (with its SHA-256 END record) gives them meaning.
 *
 * @param deviceName the device's stable name, the same in both VMs; 1..{@value #MAX_NAME_BYTES} bytes of UTF-8
 * @param sequence   position in the device's stream, 0..{@link Integer#MAX_VALUE} (a u31 on the wire)
 * @param last       true for the chunk that ends the device's stream
 * @param data       the stream's bytes; at most {@value #MAX_DATA_BYTES}; copied in and out
 */
public record DeviceChunk(String deviceName, int sequence, boolean last, byte[] data) {
    /** Longest device name in UTF-8 bytes (the wire's u8 {@code nameLength}). */
    public static final int MAX_NAME_BYTES = 255;
    /** Most data bytes in one chunk: 4 MiB, which fits a frame of {@code Protocol.MAX_FRAME_LENGTH} with headers. */
    public static final int MAX_DATA_BYTES = 4 * 1024 * 1024;

    /**
     * Validates and copies.
     *
     * @throws PostcopyException with {@code INVALID_ARGUMENT} for a value outside the ranges above, or an empty
     *                           chunk that is not the last
     */
    public DeviceChunk {
        Objects.requireNonNull(deviceName, "deviceName");
        Objects.requireNonNull(data, "data");
        int nameBytes = deviceName.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes < 1 || nameBytes > MAX_NAME_BYTES) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "deviceName of " + nameBytes + " UTF-8 bytes (expected: 1.." + MAX_NAME_BYTES + ")");
        }
        if (sequence < 0) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, deviceName + ": sequence=" + sequence
                + " (expected: >= 0)");
        }
        if (data.length > MAX_DATA_BYTES || data.length == 0 && !last) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, deviceName + ": chunk " + sequence + " of "
                + data.length + " bytes (expected: 1.." + MAX_DATA_BYTES + ", or 0 for the last chunk)");
        }
        data = data.clone();
    }

    /** A copy of the data. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Number of data bytes. */
    public int lengthInBytes() {
        return data.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DeviceChunk that && deviceName.equals(that.deviceName) && sequence == that.sequence
            && last == that.last && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(deviceName, sequence, last, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "DeviceChunk[" + deviceName + " #" + sequence + (last ? " LAST" : "") + ", " + data.length + " bytes]";
    }
}
