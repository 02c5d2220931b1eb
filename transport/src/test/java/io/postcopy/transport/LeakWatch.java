package io.postcopy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test helper: collects the buffer leaks Netty's (paranoid) leak detector reports, so that a test can fail on them
 * instead of leaving a log line. A leak is reported once the leaked buffer was garbage collected and another buffer
 * is allocated, so {@link #assertNoLeaks()} collects garbage and allocates a few times first.
 */
final class LeakWatch implements AutoCloseable {
    private final List<String> leaks = new CopyOnWriteArrayList<>();

    private LeakWatch() {
        ByteBufUtil.setLeakListener((resourceType, records) -> leaks.add(resourceType + ": " + records));
    }

    static LeakWatch start() {
        return new LeakWatch();
    }

    void assertNoLeaks() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
            for (int j = 0; j < 64; j++) {
                ByteBuf probe = ByteBufAllocator.DEFAULT.buffer(64);
                probe.release();
            }
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " buffer leak(s): " + leaks.getFirst());
        }
    }

    @Override
    public void close() {
        ByteBufUtil.setLeakListener(null);
    }
}
