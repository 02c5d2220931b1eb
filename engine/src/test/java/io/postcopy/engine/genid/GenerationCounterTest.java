package io.postcopy.engine.genid;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerationCounterTest {
    private static final long SHORT_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(20);

    private final GenerationCounter counter = new GenerationCounter();

    @Test
    void shouldMirrorGenerationAsLittleEndianU32WhenPageIsRead() {
        counter.forceUpdate(0x0102_0304L);

        MemorySegment page = counter.counterPage();

        assertEquals(GenerationCounter.PAGE_BYTES, page.byteSize());
        assertTrue(page.isReadOnly());
        assertEquals(0x04, page.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(0x01, page.get(ValueLayout.JAVA_BYTE, 3));
        assertEquals(0x0102_0304, page.get(ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
        assertEquals(0x0102_0304L, GenerationCounter.readGeneration(page));
        assertEquals(0x0102_0304L, counter.currentGenerationFromPage());
    }

    @Test
    void shouldIncrementWhenBumped() {
        assertEquals(0, counter.currentGenerationFromPage());

        assertEquals(1, counter.bump());
        assertEquals(2, counter.bump());

        assertEquals(2, counter.currentGenerationFromPage());
    }

    @Test
    void shouldWrapAroundLikeU32WhenBumpedAtMaximum() {
        GenerationCounter atMaximum = new GenerationCounter(GenerationCounter.MAX_GENERATION);

        assertEquals(0, atMaximum.bump());
        assertEquals(0, atMaximum.currentGenerationFromPage());
    }

    @Test
    void shouldSetMinimumWhenForcedAboveCurrent() {
        counter.forceUpdate(5);

        assertEquals(8, counter.forceUpdate(8));
    }

    @Test
    void shouldIncrementWhenForcedAtOrBelowCurrent() {
        counter.forceUpdate(5);

        assertEquals(6, counter.forceUpdate(3));
        assertEquals(7, counter.forceUpdate(6));
    }

    @Test
    void shouldRejectGenerationWhenOutsideU32() {
        PostcopyException rejected = assertThrows(PostcopyException.class, () -> counter.forceUpdate(1L << 32));

        assertEquals(ErrorCode.INVALID_ARGUMENT, rejected.code());
        assertThrows(PostcopyException.class, () -> counter.forceUpdate(-1));
    }

    @Test
    void shouldReturnNothingWhenWatcherIsUpToDate() throws InterruptedException {
        counter.bump();
        try (GenerationWatcher watcher = counter.openWatcher()) {
            assertEquals(OptionalLong.empty(), watcher.tryReadNewGeneration());
            assertEquals(OptionalLong.empty(), watcher.readNewGeneration(SHORT_TIMEOUT_NS));
            assertFalse(watcher.isReady());
        }
    }

    @Test
    void shouldKeepReturningNewGenerationWhenNotAcknowledged() throws InterruptedException {
        try (GenerationWatcher watcher = counter.openWatcher()) {
            counter.bump();

            assertEquals(OptionalLong.of(1), watcher.tryReadNewGeneration());
            assertEquals(OptionalLong.of(1), watcher.readNewGeneration(SHORT_TIMEOUT_NS));
            assertEquals(OptionalLong.of(1), watcher.tryReadNewGeneration());
            watcher.acknowledge(1);

            assertEquals(OptionalLong.empty(), watcher.tryReadNewGeneration());
        }
    }

    @Test
    void shouldRejectAcknowledgementWhenValueIsNotCurrent() {
        try (GenerationWatcher watcher = counter.openWatcher()) {
            counter.bump();
            counter.bump();

            PostcopyException rejected = assertThrows(PostcopyException.class, () -> watcher.acknowledge(1));

            assertEquals(ErrorCode.INVALID_ARGUMENT, rejected.code());
            assertTrue(rejected.getMessage().contains("current generation is 2"), rejected.getMessage());
            assertTrue(watcher.isReady(), "a rejected acknowledgement leaves the watcher outdated");
        }
    }

    @Test
    void shouldCompleteReadinessFutureWhenGenerationChanges() {
        try (GenerationWatcher watcher = counter.openWatcher()) {
            CompletableFuture<Void> ready = watcher.whenReady();
            assertFalse(ready.isDone());

            counter.bump();

            assertTrue(ready.isDone());
            assertTrue(watcher.isReady());
            watcher.acknowledge(1);
            assertFalse(watcher.isReady());
            CompletableFuture<Void> next = watcher.whenReady();
            assertFalse(next.isDone(), "after an acknowledgement the next future waits for the next change");
        }
    }

    @Test
    void shouldCancelReadinessAndStopCountingWhenWatcherCloses() {
        GenerationWatcher watcher = counter.openWatcher();
        CompletableFuture<Void> ready = watcher.whenReady();
        counter.bump();
        counter.bump();
        GenerationWatcher other = counter.openWatcher();
        CompletableFuture<Void> otherReady = other.whenReady();
        assertEquals(1, counter.outdatedWatcherCount());

        watcher.close();
        other.close();

        assertEquals(0, counter.outdatedWatcherCount());
        assertEquals(0, counter.watcherCount());
        assertTrue(ready.isDone());
        assertTrue(otherReady.isCancelled());
        assertThrows(PostcopyException.class, watcher::tryReadNewGeneration);
    }

    @Test
    void shouldCountOutdatedWatchersWhenSomeAcknowledge() {
        GenerationWatcher first = counter.openWatcher();
        GenerationWatcher second = counter.openWatcher();
        GenerationWatcher third = counter.openWatcher();

        long generation = counter.bump();
        assertEquals(3, counter.outdatedWatcherCount());
        first.acknowledge(generation);
        first.acknowledge(generation);
        assertEquals(2, counter.outdatedWatcherCount(), "a repeated acknowledgement counts once");
        second.acknowledge(generation);

        assertEquals(1, counter.outdatedWatcherCount());
        third.close();
        assertEquals(0, counter.outdatedWatcherCount());
    }
}
