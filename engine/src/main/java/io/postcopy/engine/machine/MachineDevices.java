package io.postcopy.engine.machine;

import io.micrometer.core.instrument.MeterRegistry;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.device.BlockDevice;
import io.postcopy.engine.device.DeviceMigrationState;
import io.postcopy.engine.device.MigrationCapabilities;
import io.postcopy.engine.device.NetDevice;
import io.postcopy.engine.device.SimulatedDevice;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.MemoryGeometry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The simulated devices of one VM, a block device {@value #BLOCK_NAME} and a network device {@value #NET_NAME},
 * over one side's host accessor to guest memory, with the {@link DeviceDriver} that keeps them busy while the VM
 * runs, and the two halves of carrying their state across a migration.
 *
 * <p>Source: {@link #source} (devices RUNNING, rx ring programmed), {@link #startDriver()}; optionally
 * {@link #startPrecopy()} and rounds of {@link #drainPrecopyChunks} and {@link #dirtyPages}; then, once the vCPUs
 * are paused, {@link #stopAndCopy} (driver stopped, devices STOP_COPY, every remaining chunk); or, if the migration
 * fails before switchover, {@link #cancelMigration} (devices back to RUNNING, ready for another). Destination:
 * {@link #destination}, {@link #beginResume()} (devices RESUMING), {@link #acceptChunk} for every chunk of every
 * device in order, {@link #finishResume()} (each device checks its stream and the source's SHA-256 of its state;
 * if all pass, all go RUNNING), then {@link #startDriver()} if the destination's guest should keep using them.
 *
 * <p>Both sides must be built from equal {@link Settings} (the same disk size, MAC and capabilities; a device
 * refuses state from a device of another shape). The chunks of one device are numbered 0, 1, 2, ... across
 * precopy and stop-and-copy; chunks of different devices may interleave.
 *
 * <p>Threads: every method but {@link #dirtyPages} is called by one migration thread (not concurrently);
 * {@link #dirtyPages} may be called from any thread, concurrently with the driver's DMA. The driver runs on its
 * own thread.
 */
public final class MachineDevices implements AutoCloseable {
    /** Name of the block device, the same on both sides. */
    public static final String BLOCK_NAME = "blk0";
    /** Name of the network device, the same on both sides. */
    public static final String NET_NAME = "net0";
    /** Most chunks per device that one {@link #drainPrecopyChunks} call emits. */
    public static final int MAX_PRECOPY_CHUNKS_PER_DRAIN = 64;
    /** How long {@link #stopAndCopy} and {@link #close()} wait for the driver to stop. */
    public static final long DRIVER_STOP_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final Settings settings;
    private final BlockDevice block;
    private final NetDevice net;
    private final List<SimulatedDevice> devices;
    private final DeviceDriver driver;
    private final Map<String, DeviceStreamOut> outgoing = new LinkedHashMap<>();
    private final Map<String, DeviceStreamIn> incoming = new LinkedHashMap<>();
    private final Map<String, String> verificationFailures = new LinkedHashMap<>();

    private MachineDevices(String vmName, Settings settings, GuestAccessor guest, MeterRegistry registry) {
        this.settings = Objects.requireNonNull(settings, "settings");
        settings.checkFits(guest.geometry());
        this.block = new BlockDevice(BLOCK_NAME, settings.blockSectors(), settings.capabilities(), guest, registry);
        this.net = new NetDevice(NET_NAME, settings.mac(), settings.capabilities(), guest, registry);
        this.devices = List.of(block, net);
        this.driver = new DeviceDriver(vmName + "-device-driver", block, net, settings.dmaWindowOffset(),
            settings.dmaWindowBytes(), settings.driverIntervalNs(), settings.seed());
        for (SimulatedDevice device : devices) {
            incoming.put(device.name(), new DeviceStreamIn(device));
        }
    }

    /**
     * The source's devices: RUNNING, with the rx ring programmed by the guest driver's probe. Start the driver
     * with {@link #startDriver()}.
     *
     * @param vmName   names the driver thread
     * @param settings the devices' shape and the driver's behaviour
     * @param guest    the source's accessor to guest memory (a {@code DirectAccessor})
     * @param registry where the devices' state gauges go
     */
    public static MachineDevices source(String vmName, Settings settings, GuestAccessor guest,
                                        MeterRegistry registry) {
        MachineDevices machine = new MachineDevices(vmName, settings, guest, registry);
        machine.driver.probe();
        return machine;
    }

    /**
     * The destination's devices, of the same shape as the source's; their registers and disk arrive with the
     * migrated state (call {@link #beginResume()} before the first chunk).
     *
     * @param vmName   names the driver thread
     * @param settings equal to the source's
     * @param guest    the destination's host accessor (waits for pages that have not arrived)
     * @param registry where the devices' state gauges go
     */
    public static MachineDevices destination(String vmName, Settings settings, GuestAccessor guest,
                                             MeterRegistry registry) {
        return new MachineDevices(vmName, settings, guest, registry);
    }

    /** The devices' names, in the order their chunks are emitted: {@value #BLOCK_NAME}, {@value #NET_NAME}. */
    public List<String> deviceNames() {
        return devices.stream().map(SimulatedDevice::name).toList();
    }

    /** The block device. */
    public BlockDevice block() {
        return block;
    }

    /** The network device. */
    public NetDevice net() {
        return net;
    }

    /** The driver agent (for its counters and failure). */
    public DeviceDriver driver() {
        return driver;
    }

    /**
     * Starts the driver agent.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} unless every device serves guest MMIO (RUNNING or
     *                           PRE_COPY)
     */
    public void startDriver() {
        for (SimulatedDevice device : devices) {
            if (!device.migration().state().servesGuestMmio()) {
                throw new PostcopyException(ErrorCode.DEVICE_STATE, device.name() + " is "
                    + device.migration().state() + "; the driver needs every device RUNNING");
            }
        }
        driver.start();
    }

    /**
     * Source: starts dirty logging and moves every device RUNNING -> PRE_COPY; the devices keep working and their
     * state starts to flow through {@link #drainPrecopyChunks}. Call it before the first round of memory precopy,
     * so that every page the devices write after it was sent is reported by {@link #dirtyPages}.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} if precopy already started, the capabilities lack
     *                           PRE_COPY or a device is not RUNNING
     */
    public void startPrecopy() {
        if (!outgoing.isEmpty()) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, "precopy already started (or the state was copied)");
        }
        for (SimulatedDevice device : devices) {
            device.dirtyLog().startTracking();
            device.migration().requestState(DeviceMigrationState.PRE_COPY, "precopy");
            outgoing.put(device.name(), new DeviceStreamOut(device, settings.chunkBytes()));
        }
    }

    /**
     * Source, in PRE_COPY: emits each device's state that is new or changed since it was last emitted, until no
     * device has more for now (or each emitted {@value #MAX_PRECOPY_CHUNKS_PER_DRAIN} chunks; call again).
     * Chunks are handed to {@code consumer} on the calling thread, device by device.
     *
     * @return the number of data bytes emitted
     */
    public long drainPrecopyChunks(Consumer<DeviceChunk> consumer) {
        long emitted = 0;
        for (SimulatedDevice device : devices) {
            emitted += streamOut(device).drainPrecopy(consumer, MAX_PRECOPY_CHUNKS_PER_DRAIN);
        }
        return emitted;
    }

    /**
     * Source, once the vCPUs are paused: stops the driver, moves every device to STOP_COPY (from RUNNING or
     * PRE_COPY), emits every remaining chunk of each device, the last of each with {@code last} set, and freezes
     * the dirty logs (a final {@link #dirtyPages} call then reports every page still unreported).
     *
     * @return the number of data bytes emitted
     * @throws PostcopyException with {@code TIMEOUT} if the driver did not stop within
     *                           {@link #DRIVER_STOP_TIMEOUT_NS}, or {@code DEVICE_STATE} if a device refused
     */
    public long stopAndCopy(Consumer<DeviceChunk> consumer) {
        driver.stop(DRIVER_STOP_TIMEOUT_NS);
        for (SimulatedDevice device : devices) {
            device.migration().requestState(DeviceMigrationState.STOP_COPY, "stop and copy");
        }
        long emitted = 0;
        for (SimulatedDevice device : devices) {
            emitted += streamOut(device).drainToEnd(consumer);
            device.dirtyLog().stopTracking();
        }
        return emitted;
    }

    /**
     * Source: the migration failed before switchover and the VM goes on here, as if it had never started. Walks
     * every device back to RUNNING along the VFIO state machine's permitted path (PRE_COPY -> RUNNING, STOP_COPY
     * -> STOP -> RUNNING; either ends the device's save session), resets a device that is in ERROR (the only way
     * out of it; its registers then return to their power-on state), stops the devices' dirty logs and forgets
     * the outgoing streams, so that a later {@link #startPrecopy()} begins a new migration at chunk 0. Devices
     * that never left RUNNING are left as they are. The driver is not touched: the caller restarts it if
     * {@link DeviceDriver#isRunning()} says it ended (it ends when a device stops serving MMIO).
     *
     * @param reason why, for the devices' transition log
     * @throws PostcopyException with {@code DEVICE_STATE} if a device's arc or reset failed
     */
    public void cancelMigration(String reason) {
        for (SimulatedDevice device : devices) {
            if (device.migration().state() == DeviceMigrationState.ERROR) {
                device.migration().reset(reason);
            } else {
                device.migration().requestState(DeviceMigrationState.RUNNING, reason);
            }
            device.dirtyLog().stopTracking();
        }
        outgoing.clear();
    }

    /**
     * Source: reports every guest page a device wrote by DMA since the previous call (or since
     * {@link #startPrecopy()}), with an atomic test-and-clear, so a page written concurrently is reported by this
     * call or the next, never lost. A page written by both devices may be reported twice. Any thread.
     *
     * @param pageIndexConsumer called with each page index, on the calling thread
     * @return the number of reports
     */
    public long dirtyPages(LongConsumer pageIndexConsumer) {
        long count = 0;
        for (SimulatedDevice device : devices) {
            count += device.dirtyLog().readAndClear(pageIndexConsumer);
        }
        return count;
    }

    /**
     * Destination: moves every device to RESUMING, ready for its chunk 0.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} if the driver is running or a device refused
     */
    public void beginResume() {
        if (driver.isRunning()) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, "beginResume while the driver runs");
        }
        verificationFailures.clear();
        for (DeviceStreamIn stream : incoming.values()) {
            stream.begin();
        }
    }

    /**
     * Destination: feeds one chunk to its device.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} for an unknown device, a chunk before
     *                           {@link #beginResume()}, out of order (a gap or a repeat), after the device's LAST
     *                           chunk, or bytes the device's stream refuses; the device's stream is then failed
     *                           and the device will not be verified
     */
    public void acceptChunk(String deviceName, int sequence, boolean last, byte[] data) {
        DeviceStreamIn stream = incoming.get(deviceName);
        if (stream == null) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, "chunk " + sequence + " for unknown device '"
                + deviceName + "' (this VM has " + deviceNames() + ")");
        }
        stream.accept(sequence, last, data);
    }

    /** {@link #acceptChunk(String, int, boolean, byte[])} for a chunk record. */
    public void acceptChunk(DeviceChunk chunk) {
        acceptChunk(chunk.deviceName(), chunk.sequence(), chunk.last(), chunk.data());
    }

    /**
     * Destination: ends the load. Each device whose stream was whole goes RESUMING -> STOP, where it checks its
     * stream and compares the SHA-256 of the loaded state with the source's; if every device passes, all go
     * STOP -> RUNNING. If any fails, none runs: a failed device stays in RESUMING or ERROR (see
     * {@link #verificationFailures()} for why), the others in STOP.
     *
     * @return one verification per device, in {@link #deviceNames()} order
     */
    public List<DeviceVerification> finishResume() {
        List<DeviceVerification> results = new ArrayList<>(devices.size());
        for (Map.Entry<String, DeviceStreamIn> entry : incoming.entrySet()) {
            String failure = entry.getValue().finish();
            if (failure != null) {
                verificationFailures.put(entry.getKey(), failure);
            }
            results.add(new DeviceVerification(entry.getKey(), failure == null));
        }
        if (verificationFailures.isEmpty()) {
            for (SimulatedDevice device : devices) {
                device.migration().requestState(DeviceMigrationState.RUNNING, "resume: state verified");
            }
        }
        return results;
    }

    /** Why devices failed the last {@link #finishResume()}: device name to reason; empty if all passed. */
    public Map<String, String> verificationFailures() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(verificationFailures));
    }

    /** Stops the driver if it runs (waiting at most {@link #DRIVER_STOP_TIMEOUT_NS}). */
    @Override
    public void close() {
        driver.stop(DRIVER_STOP_TIMEOUT_NS);
    }

    private DeviceStreamOut streamOut(SimulatedDevice device) {
        return outgoing.computeIfAbsent(device.name(), name -> new DeviceStreamOut(device, settings.chunkBytes()));
    }

    /**
     * The devices' shape and the driver's behaviour; equal on both sides of a migration.
     *
     * @param blockSectors     disk size in 512-byte sectors, 1..131072
     * @param mac              the network device's 48-bit MAC
     * @param capabilities     the devices' optional migration features; {@link #startPrecopy()} needs PRE_COPY
     * @param dmaWindowOffset  guest offset of the memory the devices DMA into; a multiple of 4096. Guest software
     *                         other than the driver should leave this window alone.
     * @param dmaWindowBytes   its length; a multiple of 4096, at least {@link DeviceDriver#MIN_WINDOW_BYTES}
     * @param driverIntervalNs pause between the driver's duty cycles, 1 µs..1 s
     * @param chunkBytes       most data bytes per chunk, 512..{@link DeviceChunk#MAX_DATA_BYTES}
     * @param seed             seeds the driver's frames and requests
     */
    public record Settings(int blockSectors, long mac, MigrationCapabilities capabilities, long dmaWindowOffset,
                           long dmaWindowBytes, long driverIntervalNs, int chunkBytes, long seed) {
        /** Disk size of {@link #defaults}: 256 sectors, 128 KiB. */
        public static final int DEFAULT_BLOCK_SECTORS = 256;
        /** MAC of {@link #defaults}: locally administered 02:52:54:00:12:34. */
        public static final long DEFAULT_MAC = 0x0252_5400_1234L;
        /** DMA window of {@link #defaults} (at least one page): 256 KiB. */
        public static final long DEFAULT_WINDOW_BYTES = 256 * 1024;
        /** Driver interval of {@link #defaults}: 200 µs. */
        public static final long DEFAULT_DRIVER_INTERVAL_NS = 200_000;
        /** Chunk size of {@link #defaults}: 256 KiB. */
        public static final int DEFAULT_CHUNK_BYTES = 256 * 1024;

        /**
         * Validates the ranges.
         *
         * @throws PostcopyException with {@code INVALID_ARGUMENT} naming the first value out of range
         */
        public Settings {
            Objects.requireNonNull(capabilities, "capabilities");
            check(blockSectors >= 1 && blockSectors <= 131_072, "blockSectors=" + blockSectors
                + " (expected: 1..131072)");
            check(dmaWindowOffset >= 0 && dmaWindowOffset % 4096 == 0, "dmaWindowOffset=" + dmaWindowOffset
                + " (expected: >= 0, a multiple of 4096)");
            check(dmaWindowBytes >= DeviceDriver.MIN_WINDOW_BYTES && dmaWindowBytes % 4096 == 0, "dmaWindowBytes="
                + dmaWindowBytes + " (expected: >= " + DeviceDriver.MIN_WINDOW_BYTES + ", a multiple of 4096)");
            check(driverIntervalNs >= 1_000 && driverIntervalNs <= 1_000_000_000, "driverIntervalNs="
                + driverIntervalNs + " (expected: 1000..1000000000)");
            check(chunkBytes >= 512 && chunkBytes <= DeviceChunk.MAX_DATA_BYTES, "chunkBytes=" + chunkBytes
                + " (expected: 512.." + DeviceChunk.MAX_DATA_BYTES + ")");
        }

        /**
         * The defaults for a VM of this geometry: a 128 KiB disk, the DMA window at the end of guest memory
         * ({@link #DEFAULT_WINDOW_BYTES}, or one page if pages are larger), every migration capability, a duty
         * cycle every 200 µs, 256 KiB chunks.
         *
         * @throws PostcopyException with {@code INVALID_ARGUMENT} if guest memory is smaller than the window
         */
        public static Settings defaults(MemoryGeometry geometry) {
            long windowBytes = Math.max(DEFAULT_WINDOW_BYTES, geometry.pageSize());
            check(geometry.lengthInBytes() >= windowBytes, "guest memory of " + geometry.lengthInBytes()
                + " bytes (expected: >= " + windowBytes + " for the devices' DMA window)");
            return new Settings(DEFAULT_BLOCK_SECTORS, DEFAULT_MAC, MigrationCapabilities.ALL,
                geometry.lengthInBytes() - windowBytes, windowBytes, DEFAULT_DRIVER_INTERVAL_NS,
                DEFAULT_CHUNK_BYTES, 1);
        }

        /** A copy with another chunk size. */
        public Settings withChunkBytes(int newChunkBytes) {
            return new Settings(blockSectors, mac, capabilities, dmaWindowOffset, dmaWindowBytes, driverIntervalNs,
                newChunkBytes, seed);
        }

        /** A copy with another driver interval. */
        public Settings withDriverIntervalNs(long newDriverIntervalNs) {
            return new Settings(blockSectors, mac, capabilities, dmaWindowOffset, dmaWindowBytes,
                newDriverIntervalNs, chunkBytes, seed);
        }

        void checkFits(MemoryGeometry geometry) {
            check(dmaWindowOffset <= geometry.lengthInBytes() - dmaWindowBytes, "DMA window [" + dmaWindowOffset
                + ", +" + dmaWindowBytes + ") outside guest memory of " + geometry.lengthInBytes() + " bytes");
        }

        private static void check(boolean valid, String message) {
            if (!valid) {
                throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, message);
            }
        }
    }
}
