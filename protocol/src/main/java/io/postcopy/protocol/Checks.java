package io.postcopy.protocol;

/** Range checks shared by the message records; each throws {@link ProtocolErrorCode#INVALID_ARGUMENT}. */
final class Checks {
    static final int U16_MAX = 0xFFFF;

    private Checks() {
    }

    static <T> T notNull(T value, String name) {
        if (value == null) {
            throw ProtocolException.invalidArgument(name + "=null (expected: non-null)");
        }
        return value;
    }

    static int u16(int value, String name) {
        if (value < 0 || value > U16_MAX) {
            throw ProtocolException.invalidArgument(name + "=" + value + " (expected: 0.." + U16_MAX + ")");
        }
        return value;
    }

    static int nonNegative(int value, String name) {
        if (value < 0) {
            throw ProtocolException.invalidArgument(name + "=" + value + " (expected: >= 0)");
        }
        return value;
    }

    static long nonNegative(long value, String name) {
        if (value < 0) {
            throw ProtocolException.invalidArgument(name + "=" + value + " (expected: >= 0)");
        }
        return value;
    }

    static int count(int count, int max, String name) {
        if (count < 1 || count > max) {
            throw ProtocolException.invalidArgument(name + "=" + count + " (expected: 1.." + max + ")");
        }
        return count;
    }

    static void pageSizeOrZero(int pageSizeInBytes, long pageCount) {
        boolean unspecified = pageSizeInBytes == 0 && pageCount == 0;
        if (!unspecified) {
            pageSize(pageSizeInBytes);
            pageCount(pageCount);
        }
    }

    static int pageSize(int pageSizeInBytes) {
        if (!Protocol.isValidPageSize(pageSizeInBytes)) {
            throw ProtocolException.invalidArgument("pageSizeInBytes=" + pageSizeInBytes
                + " (expected: power of two in " + Protocol.MIN_PAGE_SIZE_IN_BYTES + ".."
                + Protocol.MAX_PAGE_SIZE_IN_BYTES + ")");
        }
        return pageSizeInBytes;
    }

    static long pageCount(long pageCount) {
        if (!Protocol.isValidPageCount(pageCount)) {
            throw ProtocolException.invalidArgument("pageCount=" + pageCount
                + " (expected: 1.." + Protocol.MAX_PAGE_COUNT + ")");
        }
        return pageCount;
    }
}
