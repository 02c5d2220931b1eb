package io.postcopy.protocol;

import java.util.Arrays;

/**
 * RECEIVED_BITMAP (0x14): which pages of a run the destination holds, for recovery after a lost connection
 * (PROTOCOL.md, "Recovery"). Bit {@code b} (0 = least significant) of {@code words[w]} is set if and only if page
 * {@code firstPageIndex + 64 * w + b} is present. Bits for pages at or past the session's page count are 0. Needs
 * {@link Feature#RECOVERY}.
 *
 * @param firstPageIndex the page of bit 0 of {@code words[0]}, >= 0 and a multiple of 64
 * @param words          1..{@link #MAX_WORDS} bitmap words; copied on construction and on access
 */
public record ReceivedBitmap(long firstPageIndex, long[] words) implements Message {
    /** Fixed part of the body: first page index (u64) and word count (u32). */
    public static final int FIXED_BODY_LENGTH_IN_BYTES = 12;
    /** Largest batch that fits one frame. */
    public static final int MAX_WORDS = (Protocol.MAX_BODY_LENGTH_IN_BYTES - FIXED_BODY_LENGTH_IN_BYTES) / 8;

    /** Validates the ranges and copies the array; see the record's parameters. */
    public ReceivedBitmap {
        Checks.nonNegative(firstPageIndex, "firstPageIndex");
        if (firstPageIndex % Long.SIZE != 0) {
            throw ProtocolException.invalidArgument("firstPageIndex=" + firstPageIndex
                + " (expected: a multiple of 64)");
        }
        Checks.notNull(words, "words");
        Checks.count(words.length, MAX_WORDS, "words.length");
        words = words.clone();
    }

    /** A copy of the bitmap words. */
    @Override
    public long[] words() {
        return words.clone();
    }

    /** Number of words. */
    public int size() {
        return words.length;
    }

    /** The {@code position}-th word. */
    public long wordAt(int position) {
        return words[position];
    }

    /** Whether page {@code pageIndex} is marked present; false outside the bitmap's run. */
    public boolean isReceived(long pageIndex) {
        long bitIndex = pageIndex - firstPageIndex;
        if (bitIndex < 0 || bitIndex >= (long) words.length * Long.SIZE) {
            return false;
        }
        return (words[(int) (bitIndex >>> 6)] & (1L << (bitIndex & 63))) != 0;
    }

    @Override
    public MessageType type() {
        return MessageType.RECEIVED_BITMAP;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ReceivedBitmap that && firstPageIndex == that.firstPageIndex
            && Arrays.equals(words, that.words);
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(firstPageIndex) + Arrays.hashCode(words);
    }

    @Override
    public String toString() {
        return "ReceivedBitmap[firstPageIndex=" + firstPageIndex + ", words=" + words.length + "]";
    }
}
