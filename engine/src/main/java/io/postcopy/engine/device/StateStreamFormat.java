package io.postcopy.engine.device;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The bytes of a device migration data stream. A stream is a sequence of records, each
 * {@code [u8 tag][u32 payloadLength][payload]}, integers little-endian:
 * <ul>
 *   <li>{@code HEADER} (1): {@code u32 magic "PCDS"}, {@code u16 version = 1}, {@code u8 deviceKind}; first.</li>
 *   <li>{@code SIZE} (2): {@code u32 imageLength}; the state image has this length from now on (zero-extended
 *       or truncated).</li>
 *   <li>{@code CHUNK} (3): {@code u32 offset}, then bytes to copy into the image at that offset; a chunk may
 *       be sent again when the running device changes it.</li>
 *   <li>{@code END} (4): the SHA-256 (32 bytes) of the final image; last.</li>
 * </ul>
 * The image is the device's {@link DeviceSnapshot#encode() encoded snapshot}.
 */
final class StateStreamFormat {
    static final int TAG_HEADER = 1;
    static final int TAG_SIZE = 2;
    static final int TAG_CHUNK = 3;
    static final int TAG_END = 4;
    static final int MAGIC = 0x53444350;
    static final int VERSION = 1;
    static final int RECORD_HEADER_BYTES = 5;
    static final int UNIT_BYTES = 4096;
    static final int MAX_PAYLOAD_BYTES = 64 * 1024;
    static final int MAX_IMAGE_BYTES = 64 * 1024 * 1024;
    static final int DIGEST_BYTES = 32;

    private StateStreamFormat() {
    }

    static void putRecordHeader(ByteArrayOutputStream out, int tag, int payloadLength) {
        out.write(tag);
        putInt(out, payloadLength);
    }

    static void putInt(ByteArrayOutputStream out, int value) {
        out.write(value);
        out.write(value >>> 8);
        out.write(value >>> 16);
        out.write(value >>> 24);
    }

    static int getInt(byte[] bytes, int index) {
        return (bytes[index] & 0xff) | (bytes[index + 1] & 0xff) << 8 | (bytes[index + 2] & 0xff) << 16
            | (bytes[index + 3] & 0xff) << 24;
    }

    static byte[] sha256(byte[] image, int lengthInBytes) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(image, 0, lengthInBytes);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new PostcopyException(ErrorCode.INTERNAL, "SHA-256 is missing from this JVM", e);
        }
    }
}
