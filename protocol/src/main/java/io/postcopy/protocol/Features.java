package io.postcopy.protocol;

import java.util.StringJoiner;

/**
 * Helpers over u64 feature sets (a {@code long} whose set bits are {@link Feature#mask()}s). Pure functions,
 * safe from any thread.
 */
public final class Features {
    /** Every bit this implementation knows. A bit outside it is refused, never ignored (seed 002). */
    public static final long KNOWN;

    static {
        long known = 0;
        for (Feature feature : Feature.values()) {
            known |= feature.mask();
        }
        KNOWN = known;
    }

    private Features() {
    }

    /** The set of the given features. */
    public static long of(Feature... features) {
        long bits = 0;
        for (Feature feature : features) {
            bits |= feature.mask();
        }
        return bits;
    }

    /** Whether {@code bits} contains {@code feature}. */
    public static boolean contains(long bits, Feature feature) {
        return (bits & feature.mask()) != 0;
    }

    /** The bits of {@code bits} that this implementation does not know; 0 if it knows them all. */
    public static long unknownBits(long bits) {
        return bits & ~KNOWN;
    }

    /** A readable form such as {@code [ZERO_PAGE_ENCODING, URGENT_CHANNEL, unknown=0x100]}. */
    public static String toString(long bits) {
        StringJoiner joiner = new StringJoiner(", ", "[", "]");
        for (Feature feature : Feature.values()) {
            if (contains(bits, feature)) {
                joiner.add(feature.name());
            }
        }
        long unknown = unknownBits(bits);
        if (unknown != 0) {
            joiner.add("unknown=0x" + Long.toHexString(unknown));
        }
        return joiner.toString();
    }
}
