package io.postcopy.engine.memory;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PageOutOfRangeException;
import io.postcopy.engine.error.PostcopyException;

/**
 * The shape of guest RAM: its length and page size, validated on construction.
 *
 * @param lengthInBytes total bytes of guest RAM; positive, a multiple of {@code pageSize}, at most
 *                      {@link #MAX_LENGTH_IN_BYTES}
 * @param pageSize      {@link #SMALL_PAGE_SIZE} (4 KiB) or {@link #HUGE_PAGE_SIZE} (2 MiB)
 */
public record MemoryGeometry(long lengthInBytes, int pageSize) {
    /** 4 KiB, the x86 base page. */
    public static final int SMALL_PAGE_SIZE = 4096;
    /** 2 MiB, the x86 huge page. */
    public static final int HUGE_PAGE_SIZE = 2 * 1024 * 1024;
    /** 1 TiB: far above any simulated VM, low enough that page counts fit an {@code int} at 4 KiB. */
    public static final long MAX_LENGTH_IN_BYTES = 1L << 40;

    /** Validates the ranges; see the record's parameters. */
    public MemoryGeometry {
        if (pageSize != SMALL_PAGE_SIZE && pageSize != HUGE_PAGE_SIZE) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "pageSize=" + pageSize + " (expected: 4096 or 2097152)");
        }
        if (lengthInBytes <= 0) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "lengthInBytes=" + lengthInBytes + " (expected: > 0)");
        }
        if (lengthInBytes % pageSize != 0) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "lengthInBytes=" + lengthInBytes + " (expected: a multiple of pageSize=" + pageSize + ")");
        }
        if (lengthInBytes > MAX_LENGTH_IN_BYTES) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "lengthInBytes=" + lengthInBytes + " (expected: <= " + MAX_LENGTH_IN_BYTES + ")");
        }
    }

    /** Number of pages. */
    public long pageCount() {
        return lengthInBytes / pageSize;
    }

    /** log2 of the page size. */
    public int pageShift() {
        return Integer.numberOfTrailingZeros(pageSize);
    }

    /** The page that holds byte {@code offset}; the offset is not range-checked. */
    public long pageIndexOf(long offset) {
        return offset >>> pageShift();
    }

    /** Byte offset of the first byte of page {@code pageIndex}. */
    public long pageOffset(long pageIndex) {
        return pageIndex << pageShift();
    }

    /**
     * Checks that {@code pageIndex} names a page of this memory.
     *
     * @return {@code pageIndex}
     * @throws PageOutOfRangeException if not
     */
    public long checkPageIndex(long pageIndex) {
        if (pageIndex < 0 || pageIndex >= pageCount()) {
            throw new PageOutOfRangeException(pageIndex, pageCount());
        }
        return pageIndex;
    }

    /**
     * Checks that the byte at {@code offset} lies in this memory.
     *
     * @return {@code offset}
     * @throws PageOutOfRangeException naming the page the offset falls in
     */
    public long checkOffset(long offset) {
        if (Long.compareUnsigned(offset, lengthInBytes) >= 0) {
            throw new PageOutOfRangeException(offset >> pageShift(), pageCount());
        }
        return offset;
    }

    /**
     * Checks that {@code [offset, offset + length)} lies in this memory (without overflow for any inputs).
     *
     * @return {@code offset}
     * @throws PageOutOfRangeException naming the page of the range's last byte
     */
    public long checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > lengthInBytes - length) {
            throw new PageOutOfRangeException((offset + Math.max(length, 1) - 1) >> pageShift(), pageCount());
        }
        return offset;
    }

    /**
     * Parses a size such as {@code 1g}, {@code 256m}, {@code 4k} or {@code 4096} (bytes; binary units).
     *
     * @throws PostcopyException with {@code INVALID_ARGUMENT} for anything else
     */
    public static long parseSize(String text) {
        String s = text.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        long unit = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'k' -> unit = 1L << 10;
                case 'm' -> unit = 1L << 20;
                case 'g' -> unit = 1L << 30;
                case 't' -> unit = 1L << 40;
                default -> unit = 1;
            }
        }
        String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
        try {
            long value = Long.parseLong(digits);
            if (value <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(value, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "size '" + text + "' (expected: a positive number with an optional unit k, m, g or t, e.g. 1g)");
        }
    }
}
