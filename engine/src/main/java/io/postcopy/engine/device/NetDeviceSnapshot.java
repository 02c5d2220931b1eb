package io.postcopy.engine.device;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The migratable state of a {@link NetDevice}: MAC, receive ring registers and counters, transmit registers and
 * counters. The frames themselves live in guest memory (the rx ring), which migrates with the guest's pages.
 *
 * @param mac           48-bit MAC address in the low bits
 * @param rxRingAddress guest-physical address of the rx ring
 * @param rxRingSize    number of slots of {@link NetDevice#SLOT_BYTES}; 0 = rx disabled
 * @param rxHead        slots filled by the device since the ring was set up (wraps as u32)
 * @param rxTail        slots made available by the guest since the ring was set up (wraps as u32)
 * @param rxPackets     frames delivered
 * @param rxDropped     frames dropped while running (ring full, frame too long)
 * @param txAddress     registers TX_ADDR_LO/HI
 * @param txLength      register TX_LENGTH
 * @param txPackets     frames sent
 * @param txBytes       bytes sent
 */
public record NetDeviceSnapshot(long mac, long rxRingAddress, int rxRingSize, int rxHead, int rxTail, int rxPackets,
                                int rxDropped, long txAddress, int txLength, long txPackets, long txBytes)
    implements DeviceSnapshot {
    private static final int ENCODED_BYTES = 8 + 8 + 4 * 5 + 8 + 4 + 8 + 8;

    @Override
    public int deviceKind() {
        return NetDevice.DEVICE_KIND;
    }

    @Override
    public byte[] encode() {
        return ByteBuffer.allocate(ENCODED_BYTES).order(ByteOrder.LITTLE_ENDIAN)
            .putLong(mac).putLong(rxRingAddress).putInt(rxRingSize).putInt(rxHead).putInt(rxTail).putInt(rxPackets)
            .putInt(rxDropped).putLong(txAddress).putInt(txLength).putLong(txPackets).putLong(txBytes)
            .array();
    }

    /**
     * Decodes an image made by {@link #encode()}.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} if the bytes are not such an image
     */
    public static NetDeviceSnapshot decode(byte[] image) {
        if (image.length != ENCODED_BYTES) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, "network device state image of " + image.length
                + " bytes (expected: " + ENCODED_BYTES + ")");
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
            return new NetDeviceSnapshot(in.getLong(), in.getLong(), in.getInt(), in.getInt(), in.getInt(),
                in.getInt(), in.getInt(), in.getLong(), in.getInt(), in.getLong(), in.getLong());
        } catch (BufferUnderflowException e) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, "truncated network device state image", e);
        }
    }
}
