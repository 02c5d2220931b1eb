package io.postcopy.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * DEVICE_STATE_CHUNK (0x22): one chunk of one device's state stream (the VFIO-style STOP_COPY data), sent by the
 * source on the CONTROL connection after SWITCHOVER. A device's chunks carry sequence numbers 0, 1, 2, ... in
 * order; the one with {@code last} set ends that device's stream. Needs {@link Feature#DEVICE_STATE}.
 *
 * <p>A device is named here (not numbered) because the name is the device's stable identity in both VMs'
 * configuration; it identifies no session and no user, so the umem review's advice against names does not apply.
 *
 * @param deviceName 1..{@link #MAX_NAME_LENGTH_IN_BYTES} bytes of UTF-8
 * @param sequence   the chunk's position in the device's stream, u32 (at most 2^31-1)
 * @param last       whether this chunk ends the device's stream
 * @param data       the chunk's bytes; copied on construction and on access
 */
public record DeviceStateChunk(String deviceName, int sequence, boolean last, byte[] data) implements Message {
    /** Longest device name, in UTF-8 bytes. */
    public static final int MAX_NAME_LENGTH_IN_BYTES = 255;
    /** The flags bit that marks the last chunk. */
    public static final int FLAG_LAST = 0x01;

    /** Validates the ranges and copies the array; see the record's parameters. */
    public DeviceStateChunk {
        Checks.notNull(deviceName, "deviceName");
        int nameLength = deviceName.getBytes(StandardCharsets.UTF_8).length;
        if (nameLength < 1 || nameLength > MAX_NAME_LENGTH_IN_BYTES) {
            throw ProtocolException.invalidArgument("deviceName of " + nameLength + " bytes (expected: 1.."
                + MAX_NAME_LENGTH_IN_BYTES + ")");
        }
        Checks.nonNegative(sequence, "sequence");
        Checks.notNull(data, "data");
        int maxData = maxDataLengthInBytes(nameLength);
        if (data.length > maxData) {
            throw ProtocolException.invalidArgument("data.length=" + data.length + " (expected: <= " + maxData
                + " with a " + nameLength + "-byte name)");
        }
        data = data.clone();
    }

    /** Largest data that fits one frame beside a name of {@code nameLengthInBytes}. */
    public static int maxDataLengthInBytes(int nameLengthInBytes) {
        return Protocol.MAX_BODY_LENGTH_IN_BYTES - 1 - nameLengthInBytes - 4 - 1 - 4;
    }

    /** A copy of the chunk's bytes. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Length of the chunk's data, in bytes. */
    public int dataLengthInBytes() {
        return data.length;
    }

    @Override
    public MessageType type() {
        return MessageType.DEVICE_STATE_CHUNK;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DeviceStateChunk that && deviceName.equals(that.deviceName)
            && sequence == that.sequence && last == that.last && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
        return ((deviceName.hashCode() * 31 + sequence) * 31 + Boolean.hashCode(last)) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "DeviceStateChunk[deviceName=" + deviceName + ", sequence=" + sequence + ", last=" + last
            + ", dataLengthInBytes=" + data.length + "]";
    }
}
