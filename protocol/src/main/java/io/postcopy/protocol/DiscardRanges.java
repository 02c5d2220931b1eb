package io.postcopy.protocol;

import java.util.List;

/**
 * DISCARD_RANGES (0x12): the content the destination holds for these pages is stale (sent during precopy and
 * dirtied again); it drops it and treats the pages as not present, so they are fetched again. Sent by the source
 * on the CONTROL connection after SWITCHOVER and before the destination resumes. Needs {@link Feature#DISCARD}.
 *
 * @param ranges 1..{@link #MAX_RANGES} ranges (the decoder checks them against the session's page count);
 *               copied into an immutable list
 */
public record DiscardRanges(List<PageRange> ranges) implements Message {
    /** Fixed part of the body: count (u32). */
    public static final int FIXED_BODY_LENGTH_IN_BYTES = 4;
    /** Size of one range on the wire: two u64. */
    public static final int RANGE_LENGTH_IN_BYTES = 16;
    /** Largest batch that fits one frame. */
    public static final int MAX_RANGES =
        (Protocol.MAX_BODY_LENGTH_IN_BYTES - FIXED_BODY_LENGTH_IN_BYTES) / RANGE_LENGTH_IN_BYTES;

    /** Validates the ranges; see the record's parameters. */
    public DiscardRanges {
        Checks.notNull(ranges, "ranges");
        Checks.count(ranges.size(), MAX_RANGES, "ranges.size()");
        ranges = List.copyOf(ranges);
    }

    @Override
    public MessageType type() {
        return MessageType.DISCARD_RANGES;
    }
}
