package io.postcopy.bench;

import org.HdrHistogram.Histogram;

import java.util.concurrent.locks.LockSupport;

/**
 * The round trip of two thread hand-offs with no network: one thread wakes another ({@link LockSupport#unpark}) and
 * parks until that one wakes it back. Every demand fault and every blocking round trip contains such wake-ups, and
 * on a small VM their cost swings with whether the other vCPU was idle (an idle vCPU must be woken by the host), so
 * the report shows what they cost during the run.
 */
final class ThreadHandoff {
    private static final int WARMUP = 5_000;

    private volatile int turn;
    private volatile Thread ping;
    private volatile Thread pong;

    private ThreadHandoff() {
    }

    /** {@code count} measured round trips after {@link #WARMUP} unmeasured ones, in nanoseconds. */
    static Histogram roundTrips(int count) throws InterruptedException {
        return new ThreadHandoff().run(count);
    }

    private Histogram run(int count) throws InterruptedException {
        ping = Thread.currentThread();
        int total = WARMUP + count;
        pong = Thread.ofPlatform().name("handoff-pong").daemon().start(() -> {
            for (int i = 0; i < total; i++) {
                while (turn != 1) {
                    LockSupport.park(this);
                }
                turn = 0;
                LockSupport.unpark(ping);
            }
        });
        Histogram histogram = new Histogram(3);
        for (int i = 0; i < total; i++) {
            long start = System.nanoTime();
            turn = 1;
            LockSupport.unpark(pong);
            while (turn != 0) {
                LockSupport.park(this);
            }
            if (i >= WARMUP) {
                histogram.recordValue(System.nanoTime() - start);
            }
        }
        pong.join();
        return histogram;
    }
}
