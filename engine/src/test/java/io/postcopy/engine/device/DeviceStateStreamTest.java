package io.postcopy.engine.device;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.backend.software.SoftwareBackend;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.postcopy.engine.device.DeviceMigrationState.ERROR;
import static io.postcopy.engine.device.DeviceMigrationState.PRE_COPY;
import static io.postcopy.engine.device.DeviceMigrationState.RESUMING;
import static io.postcopy.engine.device.DeviceMigrationState.RUNNING;
import static io.postcopy.engine.device.DeviceMigrationState.STOP;
import static io.postcopy.engine.device.DeviceMigrationState.STOP_COPY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A device's state leaves the source through the chunked save stream and is rebuilt on the destination. */
class DeviceStateStreamTest {
    private static final int SECTORS = 256;
    private static final long MAC = 0x0252_5400_1234L;
    private static final long RING_ADDRESS = 8 * 4096;
    private static final long BUFFER_ADDRESS = 2 * 4096;
    private static final long PENDING_READ_ADDRESS = 20 * 4096;

    private final Random random = new Random(20_240_725);
    private final SoftwareBackend sourceMemory = TestGuests.presentMemory(32);
    private final SoftwareBackend destinationMemory = TestGuests.presentMemory(32);
    private final GuestAccessor sourceGuest = sourceMemory.hostAccessor();
    private final BlockDevice sourceBlock = block(sourceMemory);
    private final NetDevice sourceNet = net(sourceMemory);
    private final BlockDevice destinationBlock = block(destinationMemory);
    private final NetDevice destinationNet = net(destinationMemory);

    @AfterEach
    void closeMemory() {
        sourceMemory.close();
        destinationMemory.close();
    }

    private static BlockDevice block(SoftwareBackend memory) {
        return new BlockDevice("blk0", SECTORS, MigrationCapabilities.ALL, memory.hostAccessor(),
            new SimpleMeterRegistry());
    }

    private static NetDevice net(SoftwareBackend memory) {
        return new NetDevice("net0", MAC, MigrationCapabilities.ALL, memory.hostAccessor(), new SimpleMeterRegistry());
    }

    @Test
    void shouldRecreateBlockAndNetStateWhenStreamedThroughPreCopyAndStopCopy() {
        runGuestWorkload();
        sourceBlock.migration().requestState(PRE_COPY, "precopy");
        sourceNet.migration().requestState(PRE_COPY, "precopy");
        ByteArrayOutputStream blockStream = new ByteArrayOutputStream();
        ByteArrayOutputStream netStream = new ByteArrayOutputStream();
        DeviceStateReader blockReader = sourceBlock.stateReader();
        DeviceStateReader netReader = sourceNet.stateReader();

        assertEquals(DeviceStateReader.NO_DATA_YET, drain(blockReader, blockStream));
        assertEquals(DeviceStateReader.NO_DATA_YET, drain(netReader, netStream));
        assertEquals(new PreCopyInfo(0, 0), blockReader.precopyInfo());
        guestWritesSectors(100, 3, (byte) 0x5A);
        assertTrue(sourceNet.receiveFrame(frame(300)));
        assertTrue(blockReader.precopyInfo().dirtyBytes() > 0, "the running device dirtied its state");
        assertEquals(DeviceStateReader.NO_DATA_YET, drain(blockReader, blockStream));
        submitPendingRead();
        sourceBlock.migration().requestState(STOP_COPY, "switchover");
        sourceNet.migration().requestState(STOP_COPY, "switchover");
        assertEquals(DeviceStateReader.END_OF_STREAM, drain(blockReader, blockStream));
        assertEquals(DeviceStateReader.END_OF_STREAM, drain(netReader, netStream));
        assertEquals(DeviceStateReader.END_OF_STREAM, blockReader.read(new byte[16], 0, 16), "end stays end");

        load(destinationBlock, blockStream.toByteArray());
        load(destinationNet, netStream.toByteArray());

        assertEquals(sourceBlock.snapshot(), destinationBlock.snapshot());
        assertArrayEquals(sourceBlock.stateDigest(), destinationBlock.stateDigest());
        assertEquals(sourceNet.snapshot(), destinationNet.snapshot());
        assertArrayEquals(sourceNet.stateDigest(), destinationNet.stateDigest());
        assertEquals(1, ((BlockDeviceSnapshot) destinationBlock.snapshot()).queue().size(), "pending request moved");
    }

    @Test
    void shouldCompleteMigratedRequestWhenDestinationRuns() {
        runGuestWorkload();
        submitPendingRead();
        sourceBlock.migration().requestState(STOP_COPY, "switchover");
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        assertEquals(DeviceStateReader.END_OF_STREAM, drain(sourceBlock.stateReader(), stream));
        load(destinationBlock, stream.toByteArray());
        destinationBlock.dirtyLog().startTracking();

        destinationBlock.migration().requestState(RUNNING, "resume");
        assertEquals(1, destinationBlock.doWork(8));

        byte[] delivered = new byte[512];
        destinationMemory.hostAccessor().read(PENDING_READ_ADDRESS, MemorySegment.ofArray(delivered), 512);
        byte[] expected = new byte[512];
        Arrays.fill(expected, (byte) 0x11);
        assertArrayEquals(expected, delivered, "sector 10 of the migrated disk, read on the destination");
        assertTrue(destinationBlock.dirtyLog().testAndClear(PENDING_READ_ADDRESS / 4096));
        assertEquals(BlockDevice.STATUS_OK, destinationBlock.mmioRead(BlockDevice.REG_STATUS));
    }

    @Test
    void shouldGoToErrorWhenStreamIsTruncated() {
        byte[] stream = savedBlockStream();

        destinationBlock.migration().requestState(RESUMING, "load");
        destinationBlock.stateWriter().write(stream, 0, stream.length - 1);
        PostcopyException failure = assertThrows(PostcopyException.class,
            () -> destinationBlock.migration().requestState(STOP, "loaded"));

        assertEquals(ErrorCode.DEVICE_STATE, failure.code());
        assertEquals(ERROR, destinationBlock.migration().state());
        destinationBlock.migration().reset("recover");
        assertEquals(RUNNING, destinationBlock.migration().state());
    }

    @Test
    void shouldGoToErrorWhenStreamIsCorrupted() {
        byte[] stream = savedBlockStream();
        stream[stream.length / 2] ^= 0x01;

        destinationBlock.migration().requestState(RESUMING, "load");
        destinationBlock.stateWriter().write(stream, 0, stream.length);

        assertThrows(PostcopyException.class, () -> destinationBlock.migration().requestState(STOP, "loaded"));
        assertEquals(ERROR, destinationBlock.migration().state());
        assertNotEquals(sourceBlock.snapshot(), destinationBlock.snapshot());
    }

    @Test
    void shouldRejectStreamWhenItBelongsToAnotherKindOfDevice() {
        byte[] stream = savedBlockStream();
        destinationNet.migration().requestState(RESUMING, "load");

        PostcopyException failure = assertThrows(PostcopyException.class,
            () -> destinationNet.stateWriter().write(stream, 0, stream.length));

        assertEquals(ErrorCode.DEVICE_STATE, failure.code());
    }

    @Test
    void shouldEndSaveSessionWhenDeviceLeavesSavingStates() {
        sourceBlock.migration().requestState(STOP_COPY, "save");
        DeviceStateReader reader = sourceBlock.stateReader();

        sourceBlock.migration().requestState(STOP, "abort");

        assertThrows(PostcopyException.class, () -> reader.read(new byte[64], 0, 64));
        assertThrows(PostcopyException.class, sourceBlock::stateReader);
    }

    @Test
    void shouldReportInitialBytesUntilReadWhenPreCopyStarts() {
        sourceBlock.migration().requestState(PRE_COPY, "precopy");
        DeviceStateReader reader = sourceBlock.stateReader();
        long imageBytes = sourceBlock.snapshot().encode().length;

        assertEquals(new PreCopyInfo(imageBytes, 0), reader.precopyInfo());
        byte[] chunk = new byte[5000];
        assertTrue(reader.read(chunk, 0, chunk.length) > 0);
        long initialAfterOneRead = reader.precopyInfo().initialBytes();

        assertTrue(initialAfterOneRead < imageBytes && initialAfterOneRead > 0, "initial=" + initialAfterOneRead);
        sourceBlock.migration().requestState(STOP_COPY, "switchover");
        assertThrows(PostcopyException.class, reader::precopyInfo);
    }

    private void runGuestWorkload() {
        guestWritesSectors(0, 16, (byte) 0x11);
        guestWritesSectors(200, 8, (byte) 0x22);
        sourceNet.mmioWrite(NetDevice.REG_RX_RING_LO, (int) RING_ADDRESS);
        sourceNet.mmioWrite(NetDevice.REG_RX_RING_SIZE, 8);
        sourceNet.mmioWrite(NetDevice.REG_RX_TAIL, 8);
        sourceNet.dirtyLog().startTracking();
        for (int i = 0; i < 3; i++) {
            assertTrue(sourceNet.receiveFrame(frame(60 + i * 500)));
        }
        assertTrue(sourceNet.dirtyLog().testAndClear(RING_ADDRESS / 4096));
        sourceGuest.putInt(BUFFER_ADDRESS, 0xC0FFEE);
        sourceNet.mmioWrite(NetDevice.REG_TX_ADDR_LO, (int) BUFFER_ADDRESS);
        sourceNet.mmioWrite(NetDevice.REG_TX_LENGTH, 64);
        sourceNet.mmioWrite(NetDevice.REG_TX_DOORBELL, 1);
        assertEquals(1, sourceNet.mmioRead(NetDevice.REG_TX_PACKETS));
        assertEquals(3, sourceNet.mmioRead(NetDevice.REG_RX_HEAD));
    }

    private void guestWritesSectors(int firstSector, int sectorCount, byte fill) {
        for (int i = 0; i < sectorCount * 512; i++) {
            sourceGuest.putByte(BUFFER_ADDRESS + i, fill);
        }
        submit(BlockDevice.OP_WRITE, firstSector, sectorCount, BUFFER_ADDRESS);
        assertEquals(1, sourceBlock.doWork(8));
        assertEquals(BlockDevice.STATUS_OK, sourceBlock.mmioRead(BlockDevice.REG_STATUS));
    }

    private void submitPendingRead() {
        submit(BlockDevice.OP_READ, 10, 1, PENDING_READ_ADDRESS);
        assertEquals(1, sourceBlock.mmioRead(BlockDevice.REG_QUEUE_DEPTH));
    }

    private void submit(int op, int sector, int count, long address) {
        sourceBlock.mmioWrite(BlockDevice.REG_REQ_OP, op);
        sourceBlock.mmioWrite(BlockDevice.REG_REQ_SECTOR, sector);
        sourceBlock.mmioWrite(BlockDevice.REG_REQ_COUNT, count);
        sourceBlock.mmioWrite(BlockDevice.REG_REQ_ADDR_LO, (int) address);
        sourceBlock.mmioWrite(BlockDevice.REG_REQ_ADDR_HI, (int) (address >>> 32));
        sourceBlock.mmioWrite(BlockDevice.REG_DOORBELL, 1);
    }

    private byte[] frame(int lengthInBytes) {
        byte[] frame = new byte[lengthInBytes];
        random.nextBytes(frame);
        return frame;
    }

    private byte[] savedBlockStream() {
        runGuestWorkload();
        sourceBlock.migration().requestState(STOP_COPY, "save");
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        assertEquals(DeviceStateReader.END_OF_STREAM, drain(sourceBlock.stateReader(), stream));
        return stream.toByteArray();
    }

    /** Reads in chunks of random sizes until the reader has nothing more; returns the final read result. */
    private int drain(DeviceStateReader reader, ByteArrayOutputStream into) {
        byte[] chunk = new byte[10_000];
        for (int reads = 0; reads < 100_000; reads++) {
            int wanted = 1 + random.nextInt(random.nextBoolean() ? 16 : chunk.length);
            int count = reader.read(chunk, 0, wanted);
            if (count < 0) {
                return count;
            }
            assertTrue(count > 0 && count <= wanted, "count=" + count);
            into.write(chunk, 0, count);
        }
        throw new AssertionError("the stream did not end");
    }

    /** Loads a stream into a destination device in chunks of random sizes, and stops it. */
    private void load(SimulatedDevice device, byte[] stream) {
        assertEquals(List.of(DeviceMigrationState.RUNNING_P2P, STOP, RESUMING),
            device.migration().requestState(RESUMING, "incoming"));
        DeviceStateWriter writer = device.stateWriter();
        List<Integer> cuts = new ArrayList<>();
        for (int index = 0; index < stream.length; ) {
            int maxPiece = Math.max(1, Math.min(random.nextBoolean() ? 7 : 9000, stream.length / 2));
            int length = Math.min(stream.length - index, 1 + random.nextInt(maxPiece));
            writer.write(stream, index, length);
            cuts.add(length);
            index += length;
        }
        assertTrue(cuts.size() > 1, "the stream was fed in pieces");
        device.migration().requestState(STOP, "loaded");
    }
}
