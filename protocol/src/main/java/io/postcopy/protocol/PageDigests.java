package io.postcopy.protocol;

import java.util.Arrays;

/**
 * PAGE_DIGESTS (0x13): the source's {@link PageDigest} of each page in {@code [firstPageIndex, firstPageIndex +
 * digests.length)}, computed on its frozen memory, so that the destination can compare them with what it
 * installed. Needs {@link Feature#PAGE_DIGESTS}.
 *
 * @param firstPageIndex the page of {@code digests[0]}, >= 0
 * @param digests        1..{@link #MAX_DIGESTS} digests; copied on construction and on access
 */
public record PageDigests(long firstPageIndex, long[] digests) implements Message {
    /** Fixed part of the body: first page index (u64) and count (u32). */
    public static final int FIXED_BODY_LENGTH_IN_BYTES = 12;
    /** Largest batch that fits one frame. */
    public static final int MAX_DIGESTS = (Protocol.MAX_BODY_LENGTH_IN_BYTES - FIXED_BODY_LENGTH_IN_BYTES) / 8;

    /** Validates the ranges and copies the array; see the record's parameters. */
    public PageDigests {
        Checks.nonNegative(firstPageIndex, "firstPageIndex");
        Checks.notNull(digests, "digests");
        Checks.count(digests.length, MAX_DIGESTS, "digests.length");
        digests = digests.clone();
    }

    /** A copy of the digests. */
    @Override
    public long[] digests() {
        return digests.clone();
    }

    /** Number of digests. */
    public int size() {
        return digests.length;
    }

    /** The digest of page {@code firstPageIndex + position}. */
    public long digestAt(int position) {
        return digests[position];
    }

    @Override
    public MessageType type() {
        return MessageType.PAGE_DIGESTS;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PageDigests that && firstPageIndex == that.firstPageIndex
            && Arrays.equals(digests, that.digests);
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(firstPageIndex) + Arrays.hashCode(digests);
    }

    @Override
    public String toString() {
        return "PageDigests[firstPageIndex=" + firstPageIndex + ", size=" + digests.length + "]";
    }
}
