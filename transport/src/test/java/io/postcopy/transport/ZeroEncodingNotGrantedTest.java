package io.postcopy.transport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.ReferenceCountUtil;
import io.postcopy.protocol.ConnectionRole;
import io.postcopy.protocol.Feature;
import io.postcopy.protocol.Message;
import io.postcopy.protocol.NegotiatedSession;
import io.postcopy.protocol.PageData;
import io.postcopy.protocol.PageEncoding;
import io.postcopy.protocol.PageRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.BitSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A destination that asks for neither ZERO_PAGE_ENCODING nor PAGE_RUNS must never receive a ZERO encoding or a
 * PAGE_RUN: the source sends its zero pages as RAW pages of zeros (PROTOCOL.md section 7: a message or value of a
 * feature that was not granted is an error for the receiver).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZeroEncodingNotGrantedTest {
    private static final long MEMORY = 16L << 20;
    private static final int PAGES = (int) (MEMORY / 4096);
    private static final long FEATURES = DestinationNode.REQUESTED_FEATURES
        & ~Feature.ZERO_PAGE_ENCODING.mask() & ~Feature.PAGE_RUNS.mask();

    @Test
    void shouldSendZeroPagesAsRawWhenZeroEncodingIsNotGranted() throws Exception {
        // The guest leaves a few pages all zeros (the source sends them as ZERO to a destination that asked for it).
        SourceOptions options = new SourceOptions("127.0.0.1", 0, MEMORY, 4096, 1, "hotset", 0, 3);
        try (SourceNode source = SourceNode.start(options, new SimpleMeterRegistry());
             WireConnection control = WireConnection.connect(source.localAddress().getPort());
             WireConnection background = WireConnection.connect(source.localAddress().getPort())) {
            NegotiatedSession terms = control.handshake(ConnectionRole.CONTROL, FEATURES, 0, 0, 0x2e40L);
            assertFalse(terms.isGranted(Feature.ZERO_PAGE_ENCODING));
            background.handshake(ConnectionRole.BACKGROUND, FEATURES, terms.pageSizeInBytes(), terms.pageCount(),
                terms.sessionId());
            BitSet arrived = new BitSet(PAGES);
            int rawZeroPages = 0;
            while (arrived.cardinality() < PAGES) {
                Message message = background.read();
                try {
                    assertFalse(message instanceof PageRun, "PAGE_RUN was not granted: " + message);
                    if (message instanceof PageData page) {
                        assertEquals(PageEncoding.RAW, page.encoding(), "ZERO encoding was not granted: " + page);
                        assertFalse(arrived.get((int) page.pageIndex()), "page " + page.pageIndex() + " twice");
                        arrived.set((int) page.pageIndex());
                        if (isAllZero(page)) {
                            rawZeroPages++;
                        }
                    }
                } finally {
                    ReferenceCountUtil.release(message);
                }
            }
            assertTrue(rawZeroPages > 0, "the zero pages came as RAW zeros: " + rawZeroPages);
        }
    }

    private static boolean isAllZero(PageData page) {
        for (int i = page.content().readerIndex(); i < page.content().writerIndex(); i++) {
            if (page.content().getByte(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
