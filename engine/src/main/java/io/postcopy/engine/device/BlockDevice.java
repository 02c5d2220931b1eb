package io.postcopy.engine.device;

import io.micrometer.core.instrument.MeterRegistry;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.util.ArrayDeque;

/**
 * A simulated block device: a small in-memory disk and a request queue the guest drives through registers.
 *
 * <p>The guest fills REQ_SECTOR, REQ_COUNT, REQ_ADDR_LO/HI and REQ_OP and writes anything to DOORBELL; the request
 * joins the queue (or STATUS becomes {@link #STATUS_QUEUE_FULL}). {@link #doWork(int)} processes queued requests
 * by DMA: a read copies sectors from the disk into guest memory (logging the pages it dirties), a write copies
 * guest memory onto the disk. Each processed request sets STATUS and increments COMPLETED. Requests still queued
 * when the device stops are part of its migrated state.
 *
 * <p>Registers (32-bit, byte offsets): {@value #REG_MAGIC} MAGIC (ro), {@value #REG_SECTOR_COUNT} SECTOR_COUNT (ro),
 * {@value #REG_REQ_SECTOR} REQ_SECTOR, {@value #REG_REQ_COUNT} REQ_COUNT, {@value #REG_REQ_ADDR_LO} REQ_ADDR_LO,
 * {@value #REG_REQ_ADDR_HI} REQ_ADDR_HI, {@value #REG_REQ_OP} REQ_OP, {@value #REG_DOORBELL} DOORBELL (wo),
 * {@value #REG_STATUS} STATUS (ro), {@value #REG_COMPLETED} COMPLETED (ro), {@value #REG_QUEUE_DEPTH}
 * QUEUE_DEPTH (ro). Thread-safe (see {@link SimulatedDevice}).
 */
public final class BlockDevice extends SimulatedDevice {
    /** Kind byte of the state stream. */
    public static final int DEVICE_KIND = 1;
    /** Value of the MAGIC register: "PCBK" little-endian. */
    public static final int MAGIC = 0x4B424350;
    /** Bytes per sector. */
    public static final int SECTOR_BYTES = 512;
    /** Most requests the queue holds. */
    public static final int QUEUE_CAPACITY = 16;
    /** Register offsets. */
    public static final int REG_MAGIC = 0x00;
    /** Disk size in sectors. */
    public static final int REG_SECTOR_COUNT = 0x04;
    /** First sector of the next request. */
    public static final int REG_REQ_SECTOR = 0x08;
    /** Sector count of the next request. */
    public static final int REG_REQ_COUNT = 0x0C;
    /** Low 32 bits of the next request's guest address. */
    public static final int REG_REQ_ADDR_LO = 0x10;
    /** High 32 bits of the next request's guest address. */
    public static final int REG_REQ_ADDR_HI = 0x14;
    /** Operation of the next request. */
    public static final int REG_REQ_OP = 0x18;
    /** Write: queue the request described by the REQ_* registers. */
    public static final int REG_DOORBELL = 0x1C;
    /** Status of the last submission or completion. */
    public static final int REG_STATUS = 0x20;
    /** Requests completed since reset. */
    public static final int REG_COMPLETED = 0x24;
    /** Requests waiting in the queue. */
    public static final int REG_QUEUE_DEPTH = 0x28;
    /** REQ_OP: copy sectors from the disk into guest memory. */
    public static final int OP_READ = 0;
    /** REQ_OP: copy guest memory onto the disk. */
    public static final int OP_WRITE = 1;
    /** STATUS: success. */
    public static final int STATUS_OK = 0;
    /** STATUS: unknown op, or sectors or guest buffer out of range. */
    public static final int STATUS_BAD_REQUEST = 1;
    /** STATUS: a doorbell found the queue full; the request was not queued. */
    public static final int STATUS_QUEUE_FULL = 2;

    private final int sectorCount;
    private final byte[] disk;
    private final ArrayDeque<BlockRequest> queue = new ArrayDeque<>(QUEUE_CAPACITY);
    private int requestSector;
    private int requestCount;
    private long requestAddress;
    private int requestOp;
    private int status;
    private int completedCount;

    /**
     * @param name         device name
     * @param sectorCount  disk size in sectors of 512 bytes; 1..131072 (64 MiB); the disk starts zeroed
     * @param capabilities optional migration features
     * @param guest        host accessor to guest memory
     * @param registry     metrics
     */
    public BlockDevice(String name, int sectorCount, MigrationCapabilities capabilities, GuestAccessor guest,
                       MeterRegistry registry) {
        super(name, DEVICE_KIND, capabilities, guest, registry);
        if (sectorCount < 1 || sectorCount > 131_072) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "sectorCount=" + sectorCount + " (expected: 1..131072)");
        }
        this.sectorCount = sectorCount;
        this.disk = new byte[sectorCount * SECTOR_BYTES];
    }

    /**
     * Processes up to {@code maxRequests} queued requests, if the device's state allows DMA; the device agent's
     * duty cycle. Any thread.
     *
     * @return the number of requests processed (0 when idle or not allowed to DMA)
     */
    public int doWork(int maxRequests) {
        return locked(state -> {
            if (!state.mayDma()) {
                return 0;
            }
            int done = 0;
            while (done < maxRequests && !queue.isEmpty()) {
                status = process(queue.poll());
                completedCount++;
                done++;
            }
            return done;
        });
    }

    private int process(BlockRequest request) {
        long byteOffset = request.sector() * SECTOR_BYTES;
        long lengthInBytes = request.sectorCount() * SECTOR_BYTES;
        boolean knownOp = request.op() == OP_READ || request.op() == OP_WRITE;
        if (!knownOp || request.sector() + request.sectorCount() > sectorCount
            || !isGuestRange(request.guestAddress(), lengthInBytes)) {
            return STATUS_BAD_REQUEST;
        }
        if (request.op() == OP_READ) {
            dmaToGuest(request.guestAddress(), disk, (int) byteOffset, (int) lengthInBytes);
        } else {
            dmaFromGuest(request.guestAddress(), disk, (int) byteOffset, (int) lengthInBytes);
        }
        return STATUS_OK;
    }

    @Override
    protected int readRegister(int registerOffset) {
        return switch (registerOffset) {
            case REG_MAGIC -> MAGIC;
            case REG_SECTOR_COUNT -> sectorCount;
            case REG_REQ_SECTOR -> requestSector;
            case REG_REQ_COUNT -> requestCount;
            case REG_REQ_ADDR_LO -> (int) requestAddress;
            case REG_REQ_ADDR_HI -> (int) (requestAddress >>> 32);
            case REG_REQ_OP -> requestOp;
            case REG_STATUS -> status;
            case REG_COMPLETED -> completedCount;
            case REG_QUEUE_DEPTH -> queue.size();
            default -> ALL_ONES;
        };
    }

    @Override
    protected void writeRegister(int registerOffset, int value) {
        switch (registerOffset) {
            case REG_REQ_SECTOR -> requestSector = value;
            case REG_REQ_COUNT -> requestCount = value;
            case REG_REQ_ADDR_LO -> requestAddress = (requestAddress & 0xFFFF_FFFF_0000_0000L)
                | Integer.toUnsignedLong(value);
            case REG_REQ_ADDR_HI -> requestAddress = (requestAddress & 0xFFFF_FFFFL) | ((long) value << 32);
            case REG_REQ_OP -> requestOp = value;
            case REG_DOORBELL -> {
                if (queue.size() == QUEUE_CAPACITY) {
                    status = STATUS_QUEUE_FULL;
                } else {
                    queue.add(new BlockRequest(requestOp, Integer.toUnsignedLong(requestSector),
                        Integer.toUnsignedLong(requestCount), requestAddress));
                }
            }
            default -> {
                // read-only or unknown register: the write is ignored, as on real hardware
            }
        }
    }

    @Override
    protected BlockDeviceSnapshot snapshotLocked() {
        return new BlockDeviceSnapshot(sectorCount, disk, requestSector, requestCount, requestAddress, requestOp,
            status, completedCount, queue.stream().toList());
    }

    @Override
    protected void restoreLocked(byte[] image) {
        BlockDeviceSnapshot loaded = BlockDeviceSnapshot.decode(image);
        if (loaded.sectorCount() != sectorCount) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, name() + ": loaded disk of " + loaded.sectorCount()
                + " sectors into a device of " + sectorCount);
        }
        System.arraycopy(loaded.disk(), 0, disk, 0, disk.length);
        requestSector = loaded.requestSector();
        requestCount = loaded.requestCount();
        requestAddress = loaded.requestAddress();
        requestOp = loaded.requestOp();
        status = loaded.status();
        completedCount = loaded.completedCount();
        queue.clear();
        queue.addAll(loaded.queue());
    }

    @Override
    protected void resetLocked() {
        queue.clear();
        requestSector = 0;
        requestCount = 0;
        requestAddress = 0;
        requestOp = 0;
        status = STATUS_OK;
        completedCount = 0;
    }
}
