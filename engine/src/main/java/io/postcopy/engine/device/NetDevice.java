package io.postcopy.engine.device;

import io.micrometer.core.instrument.MeterRegistry;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

/**
 * A simulated network device: a MAC address, a receive ring in guest memory, and transmit counters.
 *
 * <p>Receive: the guest sets RX_RING_LO/HI and RX_RING_SIZE (which also resets RX_HEAD and RX_TAIL to 0) and
 * advances RX_TAIL as it hands buffers to the device. {@link #receiveFrame(byte[])} (a frame from the wire) DMAs
 * the frame into slot {@code RX_HEAD % RX_RING_SIZE}, each slot {@value #SLOT_BYTES} bytes
 * {@code [u32 length][u32 flags = 1 (ready)][frame]}, logs the pages it dirties, and advances RX_HEAD. A frame
 * that finds no free slot or is longer than {@value #MAX_FRAME_BYTES} bytes is counted in RX_DROPPED. Transmit:
 * the guest sets TX_ADDR_LO/HI and TX_LENGTH and writes TX_DOORBELL; the device reads the frame by DMA and
 * counts it in TX_PACKETS and TX_BYTES.
 *
 * <p>Registers (32-bit, byte offsets): 0x00 MAGIC, 0x04 MAC_LO, 0x08 MAC_HI (16 bits), 0x0C RX_RING_LO,
 * 0x10 RX_RING_HI, 0x14 RX_RING_SIZE, 0x18 RX_HEAD (ro), 0x1C RX_TAIL, 0x20 RX_PACKETS (ro), 0x24 RX_DROPPED (ro),
 * 0x28 TX_ADDR_LO, 0x2C TX_ADDR_HI, 0x30 TX_LENGTH, 0x34 TX_DOORBELL (wo), 0x38 TX_PACKETS (ro),
 * 0x3C TX_BYTES_LO (ro), 0x40 TX_BYTES_HI (ro). Thread-safe (see {@link SimulatedDevice}).
 */
public final class NetDevice extends SimulatedDevice {
    /** Kind byte of the state stream. */
    public static final int DEVICE_KIND = 2;
    /** Value of the MAGIC register: "PCNT" little-endian. */
    public static final int MAGIC = 0x544E4350;
    /** Bytes per rx ring slot, header included. */
    public static final int SLOT_BYTES = 2048;
    /** Bytes of a slot's header: u32 length, u32 flags. */
    public static final int SLOT_HEADER_BYTES = 8;
    /** Longest frame a slot holds. */
    public static final int MAX_FRAME_BYTES = SLOT_BYTES - SLOT_HEADER_BYTES;
    /** Most slots a ring may have. */
    public static final int MAX_RING_SLOTS = 4096;
    /** Slot flag: the slot holds a received frame. */
    public static final int SLOT_READY = 1;
    /** Register: magic. */
    public static final int REG_MAGIC = 0x00;
    /** Register: low 32 bits of the MAC. */
    public static final int REG_MAC_LO = 0x04;
    /** Register: high 16 bits of the MAC. */
    public static final int REG_MAC_HI = 0x08;
    /** Register: low 32 bits of the rx ring's guest address. */
    public static final int REG_RX_RING_LO = 0x0C;
    /** Register: high 32 bits of the rx ring's guest address. */
    public static final int REG_RX_RING_HI = 0x10;
    /** Register: rx ring slots; writing it resets RX_HEAD and RX_TAIL. */
    public static final int REG_RX_RING_SIZE = 0x14;
    /** Register: slots filled by the device. */
    public static final int REG_RX_HEAD = 0x18;
    /** Register: slots handed to the device by the guest. */
    public static final int REG_RX_TAIL = 0x1C;
    /** Register: frames received. */
    public static final int REG_RX_PACKETS = 0x20;
    /** Register: frames dropped. */
    public static final int REG_RX_DROPPED = 0x24;
    /** Register: low 32 bits of the next tx frame's guest address. */
    public static final int REG_TX_ADDR_LO = 0x28;
    /** Register: high 32 bits of the next tx frame's guest address. */
    public static final int REG_TX_ADDR_HI = 0x2C;
    /** Register: length of the next tx frame. */
    public static final int REG_TX_LENGTH = 0x30;
    /** Register: write to transmit. */
    public static final int REG_TX_DOORBELL = 0x34;
    /** Register: frames sent. */
    public static final int REG_TX_PACKETS = 0x38;
    /** Register: low 32 bits of bytes sent. */
    public static final int REG_TX_BYTES_LO = 0x3C;
    /** Register: high 32 bits of bytes sent. */
    public static final int REG_TX_BYTES_HI = 0x40;

    private final long mac;
    private long rxRingAddress;
    private int rxRingSize;
    private int rxHead;
    private int rxTail;
    private int rxPackets;
    private int rxDropped;
    private long txAddress;
    private int txLength;
    private long txPackets;
    private long txBytes;

    /**
     * @param name         device name
     * @param mac          48-bit MAC address in the low bits
     * @param capabilities optional migration features
     * @param guest        host accessor to guest memory
     * @param registry     metrics
     */
    public NetDevice(String name, long mac, MigrationCapabilities capabilities, GuestAccessor guest,
                     MeterRegistry registry) {
        super(name, DEVICE_KIND, capabilities, guest, registry);
        this.mac = mac & 0xFFFF_FFFF_FFFFL;
    }

    /**
     * A frame arrives from the wire; any thread. While the device may not DMA (STOP, STOP_COPY, RESUMING, ERROR)
     * the frame is lost on the wire and the device's state does not change.
     *
     * @return true if the frame was written into the rx ring
     */
    public boolean receiveFrame(byte[] frame) {
        return locked(state -> {
            if (!state.mayDma()) {
                return false;
            }
            long slotAddress = rxRingAddress + (long) Integer.remainderUnsigned(rxHead, Math.max(rxRingSize, 1))
                * SLOT_BYTES;
            if (rxRingSize == 0 || rxTail - rxHead <= 0 || frame.length > MAX_FRAME_BYTES
                || !isGuestRange(slotAddress, SLOT_BYTES)) {
                rxDropped++;
                return false;
            }
            byte[] slot = new byte[SLOT_HEADER_BYTES + frame.length];
            putInt(slot, 0, frame.length);
            putInt(slot, 4, SLOT_READY);
            System.arraycopy(frame, 0, slot, SLOT_HEADER_BYTES, frame.length);
            dmaToGuest(slotAddress, slot, 0, slot.length);
            rxHead++;
            rxPackets++;
            return true;
        });
    }

    private void transmit() {
        if (txLength <= 0 || txLength > MAX_FRAME_BYTES || !isGuestRange(txAddress, txLength)) {
            return;
        }
        byte[] frame = new byte[txLength];
        dmaFromGuest(txAddress, frame, 0, txLength);
        txPackets++;
        txBytes += frame.length;
    }

    @Override
    protected int readRegister(int registerOffset) {
        return switch (registerOffset) {
            case REG_MAGIC -> MAGIC;
            case REG_MAC_LO -> (int) mac;
            case REG_MAC_HI -> (int) (mac >>> 32);
            case REG_RX_RING_LO -> (int) rxRingAddress;
            case REG_RX_RING_HI -> (int) (rxRingAddress >>> 32);
            case REG_RX_RING_SIZE -> rxRingSize;
            case REG_RX_HEAD -> rxHead;
            case REG_RX_TAIL -> rxTail;
            case REG_RX_PACKETS -> rxPackets;
            case REG_RX_DROPPED -> rxDropped;
            case REG_TX_ADDR_LO -> (int) txAddress;
            case REG_TX_ADDR_HI -> (int) (txAddress >>> 32);
            case REG_TX_LENGTH -> txLength;
            case REG_TX_PACKETS -> (int) txPackets;
            case REG_TX_BYTES_LO -> (int) txBytes;
            case REG_TX_BYTES_HI -> (int) (txBytes >>> 32);
            default -> ALL_ONES;
        };
    }

    @Override
    protected void writeRegister(int registerOffset, int value) {
        switch (registerOffset) {
            case REG_RX_RING_LO -> rxRingAddress = (rxRingAddress & 0xFFFF_FFFF_0000_0000L)
                | Integer.toUnsignedLong(value);
            case REG_RX_RING_HI -> rxRingAddress = (rxRingAddress & 0xFFFF_FFFFL) | ((long) value << 32);
            case REG_RX_RING_SIZE -> {
                rxRingSize = Math.clamp(value, 0, MAX_RING_SLOTS);
                rxHead = 0;
                rxTail = 0;
            }
            case REG_RX_TAIL -> rxTail = value;
            case REG_TX_ADDR_LO -> txAddress = (txAddress & 0xFFFF_FFFF_0000_0000L) | Integer.toUnsignedLong(value);
            case REG_TX_ADDR_HI -> txAddress = (txAddress & 0xFFFF_FFFFL) | ((long) value << 32);
            case REG_TX_LENGTH -> txLength = value;
            case REG_TX_DOORBELL -> transmit();
            default -> {
                // read-only or unknown register: the write is ignored, as on real hardware
            }
        }
    }

    @Override
    protected NetDeviceSnapshot snapshotLocked() {
        return new NetDeviceSnapshot(mac, rxRingAddress, rxRingSize, rxHead, rxTail, rxPackets, rxDropped, txAddress,
            txLength, txPackets, txBytes);
    }

    @Override
    protected void restoreLocked(byte[] image) {
        NetDeviceSnapshot loaded = NetDeviceSnapshot.decode(image);
        if (loaded.mac() != mac) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE,
                name() + ": loaded MAC " + Long.toHexString(loaded.mac()) + " into a device with MAC "
                    + Long.toHexString(mac));
        }
        rxRingAddress = loaded.rxRingAddress();
        rxRingSize = loaded.rxRingSize();
        rxHead = loaded.rxHead();
        rxTail = loaded.rxTail();
        rxPackets = loaded.rxPackets();
        rxDropped = loaded.rxDropped();
        txAddress = loaded.txAddress();
        txLength = loaded.txLength();
        txPackets = loaded.txPackets();
        txBytes = loaded.txBytes();
    }

    @Override
    protected void resetLocked() {
        rxRingAddress = 0;
        rxRingSize = 0;
        rxHead = 0;
        rxTail = 0;
        rxPackets = 0;
        rxDropped = 0;
        txAddress = 0;
        txLength = 0;
        txPackets = 0;
        txBytes = 0;
    }

    private static void putInt(byte[] bytes, int index, int value) {
        bytes[index] = (byte) value;
        bytes[index + 1] = (byte) (value >>> 8);
        bytes[index + 2] = (byte) (value >>> 16);
        bytes[index + 3] = (byte) (value >>> 24);
    }
}
