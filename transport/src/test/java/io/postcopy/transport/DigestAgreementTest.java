package io.postcopy.transport;

import io.netty.buffer.Unpooled;
import io.postcopy.engine.migration.PageDigests;
import io.postcopy.protocol.PageDigest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The engine's page digests are what PROTOCOL.md specifies for PAGE_DIGESTS. */
class DigestAgreementTest {
    @Test
    void shouldComputeTheDocumentedDigestInTheEngine() {
        byte[] page = new byte[4096];
        new Random(3).nextBytes(page);
        assertEquals(PageDigest.of(page), PageDigests.digest(MemorySegment.ofArray(page)));
        assertEquals(PageDigest.of(Unpooled.wrappedBuffer(page), 0, page.length),
            PageDigests.digest(MemorySegment.ofArray(page)));
        assertEquals(PageDigest.ofZeroPage(4096), PageDigests.zeroPageDigest(4096));
    }
}
