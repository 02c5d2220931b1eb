package io.postcopy.engine.device;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.BitSet;
import java.util.function.Supplier;

import static io.postcopy.engine.device.StateStreamFormat.UNIT_BYTES;

/**
 * A save session: turns the device's state image into the stream of {@link StateStreamFormat}. It remembers
 * what the destination holds ({@code sent}), sends every unit of the image once (the initial bytes), then the
 * units that changed since they were sent (the dirty bytes), and in STOP_COPY the END record.
 *
 * <p>Not thread-safe: the device calls it with its state lock held, so the image it takes is consistent.
 */
final class StateSaveSession implements DeviceStateReader {
    private final Supplier<byte[]> imageSupplier;
    private final int deviceKind;
    private final BitSet initialUnits = new BitSet();
    private byte[] sent = new byte[0];
    private byte[] pending = new byte[0];
    private int pendingIndex;
    private boolean headerSent;
    private boolean stopCopy;
    private boolean endSent;
    private boolean closed;

    StateSaveSession(Supplier<byte[]> imageSupplier, int deviceKind, boolean stopCopy) {
        this.imageSupplier = imageSupplier;
        this.deviceKind = deviceKind;
        this.stopCopy = stopCopy;
        initialUnits.set(0, unitCount(imageSupplier.get().length));
    }

    void enterStopCopy() {
        stopCopy = true;
    }

    void close() {
        closed = true;
    }

    @Override
    public int read(byte[] destination, int offset, int lengthInBytes) {
        checkOpen();
        if (lengthInBytes <= 0) {
            throw new IllegalArgumentException("lengthInBytes=" + lengthInBytes + " (expected: > 0)");
        }
        if (pendingIndex == pending.length) {
            fill(lengthInBytes);
        }
        int available = pending.length - pendingIndex;
        if (available == 0) {
            return stopCopy ? END_OF_STREAM : NO_DATA_YET;
        }
        int count = Math.min(available, lengthInBytes);
        System.arraycopy(pending, pendingIndex, destination, offset, count);
        pendingIndex += count;
        return count;
    }

    @Override
    public PreCopyInfo precopyInfo() {
        checkOpen();
        if (stopCopy) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, "precopy info is only defined in PRE_COPY states");
        }
        byte[] current = imageSupplier.get();
        long initialBytes = 0;
        long dirtyBytes = 0;
        for (int unit = 0; unit < unitCount(current.length); unit++) {
            if (initialUnits.get(unit)) {
                initialBytes += unitLength(current.length, unit);
            } else if (differs(current, unit)) {
                dirtyBytes += unitLength(current.length, unit);
            }
        }
        return new PreCopyInfo(initialBytes, dirtyBytes);
    }

    private void fill(int wantedBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(wantedBytes, UNIT_BYTES) + 64);
        if (!headerSent) {
            StateStreamFormat.putRecordHeader(out, StateStreamFormat.TAG_HEADER, 7);
            StateStreamFormat.putInt(out, StateStreamFormat.MAGIC);
            out.write(StateStreamFormat.VERSION);
            out.write(StateStreamFormat.VERSION >>> 8);
            out.write(deviceKind);
            headerSent = true;
        }
        byte[] current = imageSupplier.get();
        if (current.length != sent.length) {
            StateStreamFormat.putRecordHeader(out, StateStreamFormat.TAG_SIZE, 4);
            StateStreamFormat.putInt(out, current.length);
            sent = Arrays.copyOf(sent, current.length);
            initialUnits.clear(unitCount(current.length), Integer.MAX_VALUE);
        }
        boolean complete = true;
        for (int unit = 0; unit < unitCount(current.length); unit++) {
            if (!initialUnits.get(unit) && !differs(current, unit)) {
                continue;
            }
            if (out.size() >= wantedBytes) {
                complete = false;
                break;
            }
            int start = unit * UNIT_BYTES;
            int length = unitLength(current.length, unit);
            StateStreamFormat.putRecordHeader(out, StateStreamFormat.TAG_CHUNK, 4 + length);
            StateStreamFormat.putInt(out, start);
            out.write(current, start, length);
            System.arraycopy(current, start, sent, start, length);
            initialUnits.clear(unit);
        }
        if (complete && stopCopy && !endSent) {
            StateStreamFormat.putRecordHeader(out, StateStreamFormat.TAG_END, StateStreamFormat.DIGEST_BYTES);
            out.writeBytes(StateStreamFormat.sha256(sent, sent.length));
            endSent = true;
        }
        pending = out.toByteArray();
        pendingIndex = 0;
    }

    private boolean differs(byte[] current, int unit) {
        int start = unit * UNIT_BYTES;
        int end = start + unitLength(current.length, unit);
        return !Arrays.equals(current, start, end, sent, start, end);
    }

    private void checkOpen() {
        if (closed) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE,
                "the save session has ended: the device left the saving states");
        }
    }

    private static int unitCount(int lengthInBytes) {
        return (lengthInBytes + UNIT_BYTES - 1) / UNIT_BYTES;
    }

    private static int unitLength(int lengthInBytes, int unit) {
        return Math.min(UNIT_BYTES, lengthInBytes - unit * UNIT_BYTES);
    }
}
