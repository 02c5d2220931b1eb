package io.postcopy.engine.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One bit per page in {@code long} words, updated with VarHandle atomics and read without locks.
 *
 * <p>Memory order is in the method names (JCTools): {@code lv} is a load-acquire, {@code so} a store-release,
 * {@code cas} a full compare-and-set. A writer that fills a page and then calls {@link #soSet} publishes the
 * content to any reader that sees the bit through {@link #lvIsSet}.
 *
 * <p>Thread-safe. Indexes are not range-checked here; callers check against the geometry first.
 */
public final class PageBitmap {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    private final long bitCount;

    /** @param bitCount number of pages tracked; all bits start clear */
    public PageBitmap(long bitCount) {
        if (bitCount < 0 || (bitCount + 63) / 64 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bitCount=" + bitCount);
        }
        this.bitCount = bitCount;
        this.words = new long[(int) ((bitCount + 63) >>> 6)];
    }

    /** Number of bits. */
    public long bitCount() {
        return bitCount;
    }

    /** Load-acquire: is bit {@code index} set. */
    public boolean lvIsSet(long index) {
        long word = (long) WORDS.getAcquire(words, (int) (index >>> 6));
        return (word & (1L << index)) != 0;
    }

    /**
     * Volatile read of bit {@code index}: a synchronization action, ordered after the caller's earlier volatile
     * stores (the waiter's half of the publish-then-recheck handshake with {@link #casSet}).
     */
    public boolean lvIsSetVolatile(long index) {
        long word = (long) WORDS.getVolatile(words, (int) (index >>> 6));
        return (word & (1L << index)) != 0;
    }

    /** Plain read, for a thread that already synchronised with the writers (or for statistics). */
    public boolean isSetPlain(long index) {
        return (words[(int) (index >>> 6)] & (1L << index)) != 0;
    }

    /**
     * Store-release of bit {@code index}: everything the caller wrote before is visible to a reader that
     * observes the bit with {@link #lvIsSet}.
     *
     * @return true if this call set the bit, false if it was already set
     */
    public boolean soSet(long index) {
        int w = (int) (index >>> 6);
        long mask = 1L << index;
        long previous = (long) WORDS.getAndBitwiseOrRelease(words, w, mask);
        return (previous & mask) == 0;
    }

    /**
     * Atomically sets bit {@code index} if it was clear (full fence).
     *
     * @return true if this call set it: the caller won the race
     */
    public boolean casSet(long index) {
        int w = (int) (index >>> 6);
        long mask = 1L << index;
        long previous = (long) WORDS.getAndBitwiseOr(words, w, mask);
        return (previous & mask) == 0;
    }

    /**
     * Atomically clears bit {@code index} (full fence).
     *
     * @return true if this call cleared it
     */
    public boolean casClear(long index) {
        int w = (int) (index >>> 6);
        long mask = 1L << index;
        long previous = (long) WORDS.getAndBitwiseAnd(words, w, ~mask);
        return (previous & mask) != 0;
    }

    /** Index of the first clear bit at or after {@code from}, or -1 if every bit from there on is set. */
    public long nextClear(long from) {
        if (from >= bitCount) {
            return -1;
        }
        int w = (int) (from >>> 6);
        long word = ~(long) WORDS.getAcquire(words, w) & (-1L << from);
        while (true) {
            if (word != 0) {
                long index = ((long) w << 6) + Long.numberOfTrailingZeros(word);
                return index < bitCount ? index : -1;
            }
            if (++w >= words.length) {
                return -1;
            }
            word = ~(long) WORDS.getAcquire(words, w);
        }
    }

    /** Index of the first set bit at or after {@code from}, or -1 if none. */
    public long nextSet(long from) {
        if (from >= bitCount) {
            return -1;
        }
        int w = (int) (from >>> 6);
        long word = (long) WORDS.getAcquire(words, w) & (-1L << from);
        while (true) {
            if (word != 0) {
                long index = ((long) w << 6) + Long.numberOfTrailingZeros(word);
                return index < bitCount ? index : -1;
            }
            if (++w >= words.length) {
                return -1;
            }
            word = (long) WORDS.getAcquire(words, w);
        }
    }

    /** Number of set bits (a racy snapshot while writers run). */
    public long cardinality() {
        long count = 0;
        for (int w = 0; w < words.length; w++) {
            count += Long.bitCount((long) WORDS.getAcquire(words, w));
        }
        return count;
    }

    /** True if every bit is set. */
    public boolean isFull() {
        return nextClear(0) < 0;
    }

    /** Copies the words (a racy snapshot while writers run); bit i of the result is word i/64, bit i%64. */
    public long[] snapshotWords() {
        long[] copy = new long[words.length];
        for (int w = 0; w < words.length; w++) {
            copy[w] = (long) WORDS.getAcquire(words, w);
        }
        return copy;
    }
}
