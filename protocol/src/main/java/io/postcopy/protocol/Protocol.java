package io.postcopy.protocol;

/**
 * Constants of the wire protocol (PROTOCOL.md, "Framing" and "Handshake"). Every multi-byte field on the wire is
 * big-endian.
 */
public final class Protocol {
    /** First four bytes of every handshake body: ASCII {@code "PCPY"}. */
    public static final int MAGIC = 0x50435059;
    /** The first (and so far only) protocol version. */
    public static final int VERSION_1 = 1;
    /** Lowest version this implementation speaks. */
    public static final int MIN_SUPPORTED_VERSION = VERSION_1;
    /** Highest version this implementation speaks. */
    public static final int MAX_SUPPORTED_VERSION = VERSION_1;

    /** Size of the frame's length field (u32), which counts the bytes after itself. */
    public static final int LENGTH_FIELD_SIZE_IN_BYTES = 4;
    /** Size of the type field (u8) that follows the length field. */
    public static final int TYPE_FIELD_SIZE_IN_BYTES = 1;
    /** Smallest page size a session may use: 4 KiB. */
    public static final int MIN_PAGE_SIZE_IN_BYTES = 4096;
    /** Largest page size a session may use: 2 MiB (one x86 huge page). */
    public static final int MAX_PAGE_SIZE_IN_BYTES = 2 * 1024 * 1024;
    /** Largest page count a session may use: 2^40 pages. */
    public static final long MAX_PAGE_COUNT = 1L << 40;
    /**
     * Largest value of a frame's length field (type byte plus body): 4 MiB plus 4 KiB. One 2 MiB page with its
     * header fits with room to spare; a batch (page requests, digests, bitmap words) is bounded by it.
     */
    public static final int MAX_FRAME_LENGTH = 4 * 1024 * 1024 + 4096;
    /** Largest body of a frame, in bytes: {@link #MAX_FRAME_LENGTH} minus the type byte. */
    public static final int MAX_BODY_LENGTH_IN_BYTES = MAX_FRAME_LENGTH - TYPE_FIELD_SIZE_IN_BYTES;

    private Protocol() {
    }

    /** Whether {@code pageSizeInBytes} is a power of two within [4 KiB, 2 MiB]. */
    public static boolean isValidPageSize(long pageSizeInBytes) {
        return pageSizeInBytes >= MIN_PAGE_SIZE_IN_BYTES && pageSizeInBytes <= MAX_PAGE_SIZE_IN_BYTES
            && Long.bitCount(pageSizeInBytes) == 1;
    }

    /** Whether {@code pageCount} is within [1, {@link #MAX_PAGE_COUNT}]. */
    public static boolean isValidPageCount(long pageCount) {
        return pageCount >= 1 && pageCount <= MAX_PAGE_COUNT;
    }
}
