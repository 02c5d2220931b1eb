package io.postcopy.engine.machine;

import io.postcopy.engine.device.BlockDevice;
import io.postcopy.engine.device.NetDevice;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The guest's device driver and the outside world, in one agent thread: every {@code intervalNs} it does one
 * duty cycle ({@link #doWork()}) that keeps both devices busy with DMA into guest memory, so that migrating them
 * means migrating devices in use.
 *
 * <p>Guest memory layout, inside the DMA window {@code [windowOffset, windowOffset + windowBytes)}: the rx ring
 * of {@value #RX_RING_SLOTS} slots of {@link NetDevice#SLOT_BYTES} first, then the block buffer area (the rest,
 * at least one 4 KiB page). The driver never writes guest memory itself, so every byte it causes to change is
 * written by device DMA and logged in the devices' dirty logs.
 *
 * <p>One duty cycle: a frame of 60..1514 random bytes arrives from the wire (DMA into the next rx slot); the
 * guest hands every slot back (RX_TAIL = RX_HEAD + slots); the block device processes the requests queued so
 * far (a read DMAs 1..8 sectors into a page of the buffer area, a write copies 1..8 sectors of the rx ring onto
 * the disk); the guest queues one new request and rings the doorbell. So one request is always queued between
 * cycles: it migrates with the device and completes on the destination.
 *
 * <p>The agent ends by itself when either device stops serving guest MMIO (it left RUNNING and PRE_COPY), or on
 * {@link #stop}. Threads: {@link #probe}, {@link #start} and {@link #stop} are called by one controlling thread;
 * the counters and {@link #failure()} may be read from any thread.
 */
public final class DeviceDriver {
    /** Slots of the rx ring the driver sets up. */
    public static final int RX_RING_SLOTS = 16;
    /** Bytes of the rx ring. */
    public static final long RX_RING_BYTES = (long) RX_RING_SLOTS * NetDevice.SLOT_BYTES;
    /** Smallest DMA window: the rx ring and one 4 KiB page of block buffer. */
    public static final long MIN_WINDOW_BYTES = RX_RING_BYTES + 4096;

    private static final int MAX_REQUEST_SECTORS = 8;

    private final String name;
    private final BlockDevice block;
    private final NetDevice net;
    private final long windowOffset;
    private final long bufferAreaPages;
    private final long intervalNs;
    private final SplittableRandom random;
    private final AtomicLong cycles = new AtomicLong();
    private final AtomicLong framesReceived = new AtomicLong();
    private final AtomicLong blockRequestsCompleted = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running;
    private volatile Thread thread;

    /**
     * @param name         names the agent's thread
     * @param block        the block device it drives
     * @param net          the network device it drives
     * @param windowOffset guest offset of the DMA window; page-aligned
     * @param windowBytes  bytes of the DMA window; at least {@link #MIN_WINDOW_BYTES}
     * @param intervalNs   pause between duty cycles, in nanoseconds; positive
     * @param seed         seeds the frames and requests
     */
    DeviceDriver(String name, BlockDevice block, NetDevice net, long windowOffset, long windowBytes, long intervalNs,
                 long seed) {
        this.name = name;
        this.block = block;
        this.net = net;
        this.windowOffset = windowOffset;
        this.bufferAreaPages = (windowBytes - RX_RING_BYTES) / 4096;
        this.intervalNs = intervalNs;
        this.random = new SplittableRandom(seed);
    }

    /**
     * The guest driver's probe on the source: checks both devices' MAGIC registers and programs the rx ring.
     * Not called on the destination, whose registers arrive with the migrated state.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} if a device does not answer as expected (not serving
     *                           MMIO, or another device)
     */
    void probe() {
        int blockMagic = block.mmioRead(BlockDevice.REG_MAGIC);
        int netMagic = net.mmioRead(NetDevice.REG_MAGIC);
        if (blockMagic != BlockDevice.MAGIC || netMagic != NetDevice.MAGIC) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, String.format(
                "probe: block MAGIC=0x%08x, net MAGIC=0x%08x (expected: 0x%08x, 0x%08x; devices RUNNING)",
                blockMagic, netMagic, BlockDevice.MAGIC, NetDevice.MAGIC));
        }
        net.mmioWrite(NetDevice.REG_RX_RING_LO, (int) windowOffset);
        net.mmioWrite(NetDevice.REG_RX_RING_HI, (int) (windowOffset >>> 32));
        net.mmioWrite(NetDevice.REG_RX_RING_SIZE, RX_RING_SLOTS);
        net.mmioWrite(NetDevice.REG_RX_TAIL, RX_RING_SLOTS);
    }

    /**
     * Starts the agent thread.
     *
     * @throws IllegalStateException if it is running
     */
    public synchronized void start() {
        if (thread != null && thread.isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        running = true;
        thread = Thread.ofPlatform().name(name).daemon().start(this::run);
    }

    /**
     * Stops the agent and waits for its thread to end; returns at once if it is not running.
     *
     * @param timeoutNs longest wait in nanoseconds
     * @throws PostcopyException with {@code TIMEOUT} if the thread did not end in time
     */
    public synchronized void stop(long timeoutNs) {
        running = false;
        Thread current = thread;
        if (current == null) {
            return;
        }
        LockSupport.unpark(current);
        try {
            if (!current.join(Duration.ofNanos(timeoutNs))) {
                throw new PostcopyException(ErrorCode.TIMEOUT, name + " did not stop within " + timeoutNs + " ns");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostcopyException(ErrorCode.INTERNAL, name + ": interrupted while stopping", e);
        }
    }

    /** True while the agent thread is alive. */
    public boolean isRunning() {
        Thread current = thread;
        return current != null && current.isAlive();
    }

    /** Duty cycles done since construction. */
    public long cycles() {
        return cycles.get();
    }

    /** Frames the network device accepted into the rx ring. */
    public long framesReceived() {
        return framesReceived.get();
    }

    /** Block requests the block device processed during duty cycles. */
    public long blockRequestsCompleted() {
        return blockRequestsCompleted.get();
    }

    /** What ended the agent, if it failed. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /**
     * One duty cycle (see the class comment); called by the agent thread.
     *
     * @return the number of device operations that happened (frames received plus requests processed)
     */
    int doWork() {
        int work = 0;
        if (net.receiveFrame(randomFrame())) {
            framesReceived.incrementAndGet();
            work++;
        }
        int head = net.mmioRead(NetDevice.REG_RX_HEAD);
        net.mmioWrite(NetDevice.REG_RX_TAIL, head + RX_RING_SLOTS);
        int processed = block.doWork(BlockDevice.QUEUE_CAPACITY);
        blockRequestsCompleted.addAndGet(processed);
        work += processed;
        submitBlockRequest();
        cycles.incrementAndGet();
        return work;
    }

    private void run() {
        try {
            while (running && block.migration().state().servesGuestMmio()
                && net.migration().state().servesGuestMmio()) {
                doWork();
                LockSupport.parkNanos(this, intervalNs);
            }
        } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
        }
    }

    private byte[] randomFrame() {
        byte[] frame = new byte[60 + random.nextInt(1515 - 60)];
        random.nextBytes(frame);
        return frame;
    }

    private void submitBlockRequest() {
        int sectors = 1 + random.nextInt(MAX_REQUEST_SECTORS);
        int diskSectors = block.mmioRead(BlockDevice.REG_SECTOR_COUNT);
        if (diskSectors < sectors) {
            return;
        }
        boolean read = random.nextBoolean();
        long address;
        if (read) {
            address = windowOffset + RX_RING_BYTES + random.nextLong(bufferAreaPages) * 4096;
        } else {
            long span = RX_RING_BYTES - (long) sectors * BlockDevice.SECTOR_BYTES;
            address = windowOffset + random.nextLong(span / BlockDevice.SECTOR_BYTES + 1) * BlockDevice.SECTOR_BYTES;
        }
        block.mmioWrite(BlockDevice.REG_REQ_SECTOR, random.nextInt(diskSectors - sectors + 1));
        block.mmioWrite(BlockDevice.REG_REQ_COUNT, sectors);
        block.mmioWrite(BlockDevice.REG_REQ_ADDR_LO, (int) address);
        block.mmioWrite(BlockDevice.REG_REQ_ADDR_HI, (int) (address >>> 32));
        block.mmioWrite(BlockDevice.REG_REQ_OP, read ? BlockDevice.OP_READ : BlockDevice.OP_WRITE);
        block.mmioWrite(BlockDevice.REG_DOORBELL, 1);
    }
}
