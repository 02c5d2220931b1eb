package io.postcopy.engine.device;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.security.MessageDigest;
import java.util.Arrays;

import static io.postcopy.engine.device.StateStreamFormat.RECORD_HEADER_BYTES;

/**
 * A load session: parses a stream of {@link StateStreamFormat} written in chunks of any size and rebuilds the
 * state image; {@link #finish()} checks that the stream was complete and that the image matches the digest of
 * the END record. After any error the session is poisoned: every later call fails.
 *
 * <p>Not thread-safe: the device calls it with its state lock held.
 */
final class StateLoadSession implements DeviceStateWriter {
    private final int deviceKind;
    private byte[] unparsed = new byte[256];
    private int unparsedLength;
    private byte[] image = new byte[0];
    private byte[] expectedDigest;
    private boolean headerSeen;
    private String failure;
    private boolean closed;

    StateLoadSession(int deviceKind) {
        this.deviceKind = deviceKind;
    }

    void close() {
        closed = true;
    }

    @Override
    public void write(byte[] source, int offset, int lengthInBytes) {
        checkUsable();
        if (expectedDigest != null && lengthInBytes > 0) {
            throw fail(lengthInBytes + " bytes after the END record");
        }
        if (unparsedLength + lengthInBytes > unparsed.length) {
            unparsed = Arrays.copyOf(unparsed, Math.max(unparsed.length * 2, unparsedLength + lengthInBytes));
        }
        System.arraycopy(source, offset, unparsed, unparsedLength, lengthInBytes);
        unparsedLength += lengthInBytes;
        int index = 0;
        while (unparsedLength - index >= RECORD_HEADER_BYTES) {
            int tag = unparsed[index] & 0xff;
            int payloadLength = StateStreamFormat.getInt(unparsed, index + 1);
            if (payloadLength < 0 || payloadLength > StateStreamFormat.MAX_PAYLOAD_BYTES) {
                throw fail("record payload of " + Integer.toUnsignedString(payloadLength) + " bytes (expected: <= "
                    + StateStreamFormat.MAX_PAYLOAD_BYTES + ")");
            }
            if (unparsedLength - index - RECORD_HEADER_BYTES < payloadLength) {
                break;
            }
            onRecord(tag, index + RECORD_HEADER_BYTES, payloadLength);
            index += RECORD_HEADER_BYTES + payloadLength;
        }
        System.arraycopy(unparsed, index, unparsed, 0, unparsedLength - index);
        unparsedLength -= index;
    }

    /**
     * Checks the stream and returns the loaded state image.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} if the stream is incomplete or the digest differs
     */
    byte[] finish() {
        checkUsable();
        if (!headerSeen || expectedDigest == null || unparsedLength != 0) {
            throw fail("incomplete stream: " + (headerSeen ? "" : "no header, ")
                + (expectedDigest == null ? "no END record, " : "") + unparsedLength + " bytes of a partial record");
        }
        if (!MessageDigest.isEqual(expectedDigest, StateStreamFormat.sha256(image, image.length))) {
            throw fail("the loaded state of " + image.length + " bytes does not match the source's SHA-256");
        }
        return image.clone();
    }

    private void onRecord(int tag, int payloadIndex, int payloadLength) {
        if (!headerSeen && tag != StateStreamFormat.TAG_HEADER) {
            throw fail("record tag " + tag + " before the header");
        }
        switch (tag) {
            case StateStreamFormat.TAG_HEADER -> onHeader(payloadIndex, payloadLength);
            case StateStreamFormat.TAG_SIZE -> {
                requireLength("SIZE", payloadLength, 4);
                int newLength = StateStreamFormat.getInt(unparsed, payloadIndex);
                if (newLength < 0 || newLength > StateStreamFormat.MAX_IMAGE_BYTES) {
                    throw fail("image of " + Integer.toUnsignedString(newLength) + " bytes (expected: <= "
                        + StateStreamFormat.MAX_IMAGE_BYTES + ")");
                }
                image = Arrays.copyOf(image, newLength);
            }
            case StateStreamFormat.TAG_CHUNK -> {
                if (payloadLength < 4) {
                    throw fail("CHUNK record of " + payloadLength + " bytes (expected: >= 4)");
                }
                int start = StateStreamFormat.getInt(unparsed, payloadIndex);
                int length = payloadLength - 4;
                if (start < 0 || start > image.length - length) {
                    throw fail("CHUNK [" + Integer.toUnsignedString(start) + ", +" + length + ") outside the image of "
                        + image.length + " bytes");
                }
                System.arraycopy(unparsed, payloadIndex + 4, image, start, length);
            }
            case StateStreamFormat.TAG_END -> {
                requireLength("END", payloadLength, StateStreamFormat.DIGEST_BYTES);
                expectedDigest = Arrays.copyOfRange(unparsed, payloadIndex, payloadIndex + payloadLength);
            }
            default -> throw fail("unknown record tag " + tag);
        }
    }

    private void onHeader(int payloadIndex, int payloadLength) {
        requireLength("HEADER", payloadLength, 7);
        if (headerSeen) {
            throw fail("a second header");
        }
        int magic = StateStreamFormat.getInt(unparsed, payloadIndex);
        int version = (unparsed[payloadIndex + 4] & 0xff) | (unparsed[payloadIndex + 5] & 0xff) << 8;
        int kind = unparsed[payloadIndex + 6] & 0xff;
        if (magic != StateStreamFormat.MAGIC || version != StateStreamFormat.VERSION || kind != deviceKind) {
            throw fail(String.format("header magic=0x%08x version=%d kind=%d (expected: 0x%08x, %d, %d)",
                magic, version, kind, StateStreamFormat.MAGIC, StateStreamFormat.VERSION, deviceKind));
        }
        headerSeen = true;
    }

    private void requireLength(String record, int payloadLength, int expected) {
        if (payloadLength != expected) {
            throw fail(record + " record of " + payloadLength + " bytes (expected: " + expected + ")");
        }
    }

    private PostcopyException fail(String message) {
        failure = message;
        return new PostcopyException(ErrorCode.DEVICE_STATE, "invalid device state stream: " + message);
    }

    private void checkUsable() {
        if (closed) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, "the load session has ended: the device left RESUMING");
        }
        if (failure != null) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, "the load session failed earlier: " + failure);
        }
    }
}
