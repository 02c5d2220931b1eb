package io.postcopy.engine.device;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The migratable state of a {@link BlockDevice}: its disk, its request registers and its queue of requests not
 * yet processed (a request submitted just before STOP is migrated and completes on the destination).
 *
 * @param sectorCount    disk size in sectors of {@link BlockDevice#SECTOR_BYTES}
 * @param disk           the disk's bytes ({@code sectorCount * 512}); copied in and out
 * @param requestSector  register REQ_SECTOR
 * @param requestCount   register REQ_COUNT
 * @param requestAddress registers REQ_ADDR_LO/HI
 * @param requestOp      register REQ_OP
 * @param status         register STATUS
 * @param completedCount register COMPLETED
 * @param queue          queued requests, oldest first
 */
public record BlockDeviceSnapshot(int sectorCount, byte[] disk, int requestSector, int requestCount,
                                  long requestAddress, int requestOp, int status, int completedCount,
                                  List<BlockRequest> queue) implements DeviceSnapshot {
    /** Copies the disk and the queue. */
    public BlockDeviceSnapshot {
        disk = disk.clone();
        queue = List.copyOf(queue);
        if (disk.length != (long) sectorCount * BlockDevice.SECTOR_BYTES) {
            throw new IllegalArgumentException("disk of " + disk.length + " bytes for " + sectorCount + " sectors");
        }
    }

    /** A copy of the disk's bytes. */
    @Override
    public byte[] disk() {
        return disk.clone();
    }

    @Override
    public int deviceKind() {
        return BlockDevice.DEVICE_KIND;
    }

    @Override
    public byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(4 + disk.length + 32 + queue.size() * 24).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(sectorCount).put(disk).putInt(requestSector).putInt(requestCount).putLong(requestAddress)
            .putInt(requestOp).putInt(status).putInt(completedCount).putInt(queue.size());
        for (BlockRequest request : queue) {
            out.putInt(request.op()).putInt((int) request.sector()).putInt((int) request.sectorCount())
                .putLong(request.guestAddress()).putInt(0);
        }
        return out.array();
    }

    /**
     * Decodes an image made by {@link #encode()}.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} if the bytes are not such an image
     */
    public static BlockDeviceSnapshot decode(byte[] image) {
        try {
            ByteBuffer in = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
            int sectorCount = in.getInt();
            if (sectorCount < 0 || (long) sectorCount * BlockDevice.SECTOR_BYTES > in.remaining()) {
                throw new IllegalArgumentException("sectorCount=" + sectorCount);
            }
            byte[] disk = new byte[sectorCount * BlockDevice.SECTOR_BYTES];
            in.get(disk);
            int requestSector = in.getInt();
            int requestCount = in.getInt();
            long requestAddress = in.getLong();
            int requestOp = in.getInt();
            int status = in.getInt();
            int completed = in.getInt();
            int queueSize = in.getInt();
            if (queueSize < 0 || queueSize > BlockDevice.QUEUE_CAPACITY) {
                throw new IllegalArgumentException("queue of " + queueSize);
            }
            List<BlockRequest> queue = new ArrayList<>(queueSize);
            for (int i = 0; i < queueSize; i++) {
                int op = in.getInt();
                long sector = Integer.toUnsignedLong(in.getInt());
                long count = Integer.toUnsignedLong(in.getInt());
                long address = in.getLong();
                in.getInt();
                queue.add(new BlockRequest(op, sector, count, address));
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " trailing bytes");
            }
            return new BlockDeviceSnapshot(sectorCount, disk, requestSector, requestCount, requestAddress, requestOp,
                status, completed, queue);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, "not a block device state image of "
                + image.length + " bytes: " + e, e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BlockDeviceSnapshot that && sectorCount == that.sectorCount
            && requestSector == that.requestSector && requestCount == that.requestCount
            && requestAddress == that.requestAddress && requestOp == that.requestOp && status == that.status
            && completedCount == that.completedCount && Arrays.equals(disk, that.disk) && queue.equals(that.queue);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sectorCount, Arrays.hashCode(disk), requestSector, requestCount, requestAddress,
            requestOp, status, completedCount, queue);
    }

    @Override
    public String toString() {
        return "BlockDeviceSnapshot[sectorCount=" + sectorCount + ", diskHash=" + Arrays.hashCode(disk)
            + ", requestSector=" + requestSector + ", requestCount=" + requestCount + ", requestAddress=0x"
            + Long.toHexString(requestAddress) + ", requestOp=" + requestOp + ", status=" + status
            + ", completedCount=" + completedCount + ", queue=" + queue + "]";
    }
}
