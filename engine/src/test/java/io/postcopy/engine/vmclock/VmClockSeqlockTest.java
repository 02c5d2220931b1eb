package io.postcopy.engine.vmclock;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VmClockSeqlockTest {
    private final MemorySegment page = Arena.ofAuto().allocate(VmClockLayout.PAGE_BYTES, VmClockLayout.PAGE_BYTES);
    private final VmClockWriter writer = VmClockWriter.create(page, VmClockLayout.COUNTER_X86_TSC,
        VmClockLayout.TIME_UTC, new Random(7));

    /** Every field an update writes is a function of one number, so a torn copy mixes two numbers. */
    private static void writeGeneration(VmClockUpdate fields, long i) {
        fields.counter(i, i * 3, (int) (i & 0x3f))
            .counterPeriodErrors(i * 5, ~i)
            .time(i * 7, -i)
            .timeErrors(i * 11, i * 13)
            .leapSeconds((int) (i % 3), (int) (i % 6), (int) (short) i)
            .clockStatus((int) (i % 5));
    }

    private static String tornReason(VmClockSnapshot copy) {
        long i = copy.counterValue();
        boolean whole = copy.counterPeriodFracSec() == i * 3 && copy.counterPeriodShift() == (int) (i & 0x3f)
            && copy.counterPeriodEsterrorRateFracSec() == i * 5 && copy.counterPeriodMaxerrorRateFracSec() == ~i
            && copy.timeSec() == i * 7 && copy.timeFracSec() == -i && copy.timeEsterrorNanosec() == i * 11
            && copy.timeMaxerrorNanosec() == i * 13 && copy.leapSecondSmearingHint() == (int) (i % 3)
            && copy.leapIndicator() == (int) (i % 6) && copy.taiOffsetSec() == (short) i
            && copy.clockStatus() == (int) (i % 5);
        if (!whole) {
            return "torn copy " + copy;
        }
        return (copy.seqCount() & 1) == 0 ? null : "odd seq_count " + copy;
    }

    @Test
    void shouldNeverSeeTornUpdateWhenWriterAndReadersRunConcurrentlyUnderGc() throws Exception {
        int readerThreads = 2;
        long updates = 300_000;
        AtomicBoolean writerDone = new AtomicBoolean();
        AtomicReference<String> firstTorn = new AtomicReference<>();
        AtomicLong reads = new AtomicLong();
        AtomicLong lastMarkerGeneration = new AtomicLong();
        VmClockReader reader = new VmClockReader(writer.page());
        writer.update(fields -> writeGeneration(fields, 0));
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < readerThreads; t++) {
            readers.add(Thread.ofPlatform().start(() -> {
                long previousCounter = -1;
                while (!writerDone.get() && firstTorn.get() == null) {
                    VmClockSnapshot copy = reader.read(TimeUnit.SECONDS.toNanos(10));
                    String torn = tornReason(copy);
                    if (torn == null && copy.counterValue() < previousCounter) {
                        torn = "went back in time: " + previousCounter + " then " + copy;
                    }
                    if (torn != null) {
                        firstTorn.compareAndSet(null, torn);
                    }
                    previousCounter = copy.counterValue();
                    reads.incrementAndGet();
                }
            }));
        }
        Thread writerThread = Thread.ofPlatform().start(() -> {
            for (long i = 1; i <= updates && firstTorn.get() == null; i++) {
                long generation = i;
                writer.update(fields -> writeGeneration(fields, generation));
                if (i % 10_000 == 0) {
                    writer.markMigrated(i);
                    lastMarkerGeneration.set(i);
                }
            }
            writerDone.set(true);
        });
        CompletableFuture<Void> gcs = CompletableFuture.runAsync(() -> {
            while (!writerDone.get()) {
                forceGc();
            }
        });

        writerThread.join(TimeUnit.SECONDS.toMillis(90));
        for (Thread readerThread : readers) {
            readerThread.join(TimeUnit.SECONDS.toMillis(30));
        }
        gcs.get(30, TimeUnit.SECONDS);

        assertNull(firstTorn.get());
        assertTrue(writerDone.get());
        assertTrue(reads.get() > 0, "the readers read");
        VmClockSnapshot last = reader.read();
        assertEquals(updates, last.counterValue());
        assertEquals(lastMarkerGeneration.get(), last.vmGenerationCounter());
        // create() makes two updates (fields, marker), the test one more before the threads start
        assertEquals(2 * (3 + updates + updates / 10_000), last.seqCount(), "two increments per update");
    }

    @Test
    void shouldRetryAndTimeOutWhenUpdateIsInProgress() {
        AtomicLong clockNs = new AtomicLong();
        VmClockReader reader = new VmClockReader(writer.page(), () -> clockNs.addAndGet(1_000_000));

        writer.update(fields -> {
            PostcopyException timeout = assertThrows(PostcopyException.class, () -> reader.read(50_000_000));
            assertEquals(ErrorCode.TIMEOUT, timeout.code());
        });

        assertTrue(reader.retryCount() >= 50, "retries=" + reader.retryCount());
        assertEquals(0, reader.read().seqCount() & 1);
    }

    @Test
    void shouldSeeOddSequenceOnlyWhileUpdating() {
        VmClockReader reader = new VmClockReader(writer.page());
        long before = Integer.toUnsignedLong(page.get(ValueLayout.JAVA_INT, 12));

        writer.update(fields -> assertEquals(before + 1,
            Integer.toUnsignedLong(page.get(ValueLayout.JAVA_INT, 12))));

        assertEquals(before + 2, reader.read().seqCount());
    }

    private static void forceGc() {
        WeakReference<Object> sentinel = new WeakReference<>(new Object());
        long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sentinel.get() != null && System.nanoTime() < deadlineNs) {
            System.gc();
        }
    }
}
