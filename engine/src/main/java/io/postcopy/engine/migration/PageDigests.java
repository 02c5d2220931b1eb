package io.postcopy.engine.migration;

import io.postcopy.engine.memory.GuestMemory;
import io.postcopy.engine.memory.OffHeapLongs;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

/**
 * One digest per page (CRC32C of the page's bytes, plus 1 so that 0 means "not recorded"), filled as pages are
 * sent or installed. Comparing the source's table (content as frozen when sent) with the destination's (content
 * as installed) proves each page arrived intact at the right index.
 *
 * <p>The table lives off the Java heap ({@link OffHeapLongs}): it is made just before a switchover, where a large
 * heap array would cost a GC pause inside the downtime.
 *
 * <p>Thread-safe: each page's slot is written once with a release store.
 */
public final class PageDigests {
    private final OffHeapLongs digests;

    /** An empty table for {@code pageCount} pages. */
    public PageDigests(long pageCount) {
        this.digests = new OffHeapLongs(pageCount);
    }

    /** The digest of {@code content} as stored in the table (never 0). */
    public static long digest(MemorySegment content) {
        CRC32C crc = new CRC32C();
        crc.update(content.asByteBuffer());
        return crc.getValue() + 1;
    }

    /** The digest the table stores for an all-zero page of {@code pageSize} bytes. */
    public static long zeroPageDigest(int pageSize) {
        return digest(MemorySegment.ofArray(new byte[pageSize]));
    }

    /** Records the digest of {@code content} for {@code pageIndex}. */
    public void record(long pageIndex, MemorySegment content) {
        recordDigest(pageIndex, digest(content));
    }

    /** Records an already computed digest (for example one received from the peer). */
    public void recordDigest(long pageIndex, long digest) {
        digests.setRelease(pageIndex, digest);
    }

    /** The recorded digest of {@code pageIndex}, or 0 if none was recorded. */
    public long get(long pageIndex) {
        return digests.getAcquire(pageIndex);
    }

    /** Number of pages. */
    public long pageCount() {
        return digests.length();
    }

    /** The digests of all of {@code memory} as it is now (for a frozen source). */
    public static PageDigests of(GuestMemory memory) {
        PageDigests table = new PageDigests(memory.pageCount());
        for (long p = 0; p < memory.pageCount(); p++) {
            table.record(p, memory.page(p));
        }
        return table;
    }

    /**
     * Compares this table (the destination's) with the source's: a page verifies if both recorded the same
     * digest; a page missing from either side, or different, is a mismatch.
     */
    public IntegrityResult compareWith(PageDigests source) {
        if (source.pageCount() != pageCount()) {
            return new IntegrityResult(0, pageCount(), -1);
        }
        long verified = 0;
        long mismatches = 0;
        long firstMismatch = -1;
        for (long p = 0; p < digests.length(); p++) {
            long mine = get(p);
            if (mine != 0 && mine == source.get(p)) {
                verified++;
            } else {
                mismatches++;
                if (firstMismatch < 0) {
                    firstMismatch = p;
                }
            }
        }
        return new IntegrityResult(verified, mismatches, firstMismatch);
    }

    /**
     * Outcome of a digest comparison.
     *
     * @param pagesVerified     pages whose digests agree
     * @param mismatches        pages that differ or were never recorded on one side
     * @param firstMismatchPage the lowest such page, or -1
     */
    public record IntegrityResult(long pagesVerified, long mismatches, long firstMismatchPage) {
    }
}
