package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The digest carried by PAGE_DIGESTS: 64-bit FNV-1a over the page's bytes in address order (offset basis
 * {@code 0xcbf29ce484222325}, prime {@code 0x100000001b3}). Chosen because another implementation can write it
 * from this description alone; it detects corruption, not tampering. Pure and thread-safe.
 */
public final class PageDigest {
    /** The FNV-1a 64 offset basis: the digest of no bytes. */
    public static final long OFFSET_BASIS = 0xcbf29ce484222325L;
    /** The FNV-1a 64 prime. */
    public static final long PRIME = 0x100000001b3L;

    private PageDigest() {
    }

    /**
     * The digest of {@code lengthInBytes} bytes of {@code page} from {@code index}; does not move the reader index.
     */
    public static long of(ByteBuf page, int index, int lengthInBytes) {
        long hash = OFFSET_BASIS;
        for (int i = 0; i < lengthInBytes; i++) {
            hash ^= page.getByte(index + i) & 0xFF;
            hash *= PRIME;
        }
        return hash;
    }

    /** The digest of {@code bytes}. */
    public static long of(byte[] bytes) {
        long hash = OFFSET_BASIS;
        for (byte b : bytes) {
            hash ^= b & 0xFF;
            hash *= PRIME;
        }
        return hash;
    }

    /** The digest of an all-zero page of {@code pageSizeInBytes}: what a ZERO-encoded page must match. */
    public static long ofZeroPage(int pageSizeInBytes) {
        long hash = OFFSET_BASIS;
        for (int i = 0; i < pageSizeInBytes; i++) {
            hash *= PRIME;
        }
        return hash;
    }
}
