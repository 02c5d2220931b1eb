package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked cursor over one frame body. It reads with absolute indexes, so the buffer's own indexes never
 * move, and every read past the end is a {@link ProtocolErrorCode#MALFORMED_FRAME}, never an
 * {@code IndexOutOfBoundsException}. Not thread-safe; one per decode.
 */
final class BodyReader {
    private final ByteBuf buffer;
    private final MessageType type;
    private final int end;
    private int index;

    BodyReader(ByteBuf buffer, int index, int end, MessageType type) {
        this.buffer = buffer;
        this.index = index;
        this.end = end;
        this.type = type;
    }

    int remaining() {
        return end - index;
    }

    int u8() {
        require(1, "u8");
        return buffer.getUnsignedByte(index++);
    }

    int u16() {
        require(2, "u16");
        int value = buffer.getUnsignedShort(index);
        index += 2;
        return value;
    }

    long u32() {
        require(4, "u32");
        long value = buffer.getUnsignedInt(index);
        index += 4;
        return value;
    }

    /** A u32 that must fit an int (at most 2^31-1). */
    int u31(String field) {
        long value = u32();
        if (value > Integer.MAX_VALUE) {
            throw malformed(field + "=" + value + " (expected: <= " + Integer.MAX_VALUE + ")");
        }
        return (int) value;
    }

    long u64() {
        require(8, "u64");
        long value = buffer.getLong(index);
        index += 8;
        return value;
    }

    /** A u64 page index that must be >= 0 as a signed long (the range check against the session comes later). */
    long pageIndex(String field) {
        long value = u64();
        if (value < 0) {
            throw new ProtocolException(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
                type + ": " + field + "=" + Long.toUnsignedString(value) + " (expected: < 2^63)");
        }
        return value;
    }

    /**
     * A count of items of {@code itemLengthInBytes} each that must lie in 1..max and whose items must all fit the
     * bytes left: checked before anything is allocated for them.
     */
    int count(int min, int max, int itemLengthInBytes, String field) {
        long count = u32();
        if (count < min || count > max) {
            throw malformed(field + "=" + count + " (expected: " + min + ".." + max + ")");
        }
        if (count * itemLengthInBytes > remaining()) {
            throw malformed(field + "=" + count + " needs " + count * itemLengthInBytes + " bytes but "
                + remaining() + " remain");
        }
        return (int) count;
    }

    long[] u64Array(int count) {
        require((long) count * 8, "u64 array");
        long[] values = new long[count];
        for (int i = 0; i < count; i++) {
            values[i] = buffer.getLong(index);
            index += 8;
        }
        return values;
    }

    byte[] bytes(int lengthInBytes) {
        require(lengthInBytes, "bytes");
        byte[] bytes = new byte[lengthInBytes];
        buffer.getBytes(index, bytes);
        index += lengthInBytes;
        return bytes;
    }

    String utf8(int lengthInBytes, String field) {
        require(lengthInBytes, field);
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(buffer.nioBuffer(index, lengthInBytes))
                .toString();
            index += lengthInBytes;
            return text;
        } catch (CharacterCodingException e) {
            throw new ProtocolException(ProtocolErrorCode.MALFORMED_FRAME, type + ": " + field + " is not UTF-8", e);
        }
    }

    /** Skips {@code lengthInBytes} bytes that the caller takes as a slice. */
    int skip(int lengthInBytes) {
        require(lengthInBytes, "content");
        int start = index;
        index += lengthInBytes;
        return start;
    }

    /** Rejects trailing bytes: a body must be consumed exactly. */
    void expectEnd() {
        if (index != end) {
            throw malformed((end - index) + " trailing bytes after the body");
        }
    }

    ProtocolException malformed(String message) {
        return ProtocolException.malformed(type + ": " + message);
    }

    private void require(long lengthInBytes, String what) {
        if (lengthInBytes > end - index) {
            throw malformed("truncated: " + what + " needs " + lengthInBytes + " bytes at index "
                + index + " but " + (end - index) + " remain");
        }
    }
}
