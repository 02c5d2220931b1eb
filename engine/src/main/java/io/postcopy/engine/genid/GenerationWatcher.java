package io.postcopy.engine.genid;

import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * One watcher of a {@link GenerationCounter}, the analogue of an open {@code /dev/sysgenid} file descriptor. It
 * holds the generation it last acknowledged (the current one when it was opened); when the counter moves on, the
 * watcher is <em>outdated</em> until it {@link #acknowledge acknowledges} the new generation. While outdated it
 * is ready: reads return the new generation at once, again and again, until it is acknowledged.
 *
 * <p>Thread-safe; typically one thread owns a watcher and another may wait on its readiness. After
 * {@link #close()} every method but {@code close} and {@link #isReady()} fails with {@code INVALID_ARGUMENT}.
 */
public final class GenerationWatcher implements AutoCloseable {
    private final GenerationCounter counter;
    private long acknowledgedGeneration;
    private CompletableFuture<Void> readiness = new CompletableFuture<>();

    GenerationWatcher(GenerationCounter counter, long currentGeneration) {
        this.counter = counter;
        this.acknowledgedGeneration = currentGeneration;
    }

    /** The counter this watcher watches. */
    public GenerationCounter counter() {
        return counter;
    }

    /**
     * Blocks until this watcher is outdated and returns the new generation (sysgenid's blocking {@code read()});
     * returns at once while an earlier new generation is still unacknowledged.
     *
     * @param timeoutNs longest wait in nanoseconds
     * @return the current generation, or empty if the timeout expired while the watcher was up to date
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    public OptionalLong readNewGeneration(long timeoutNs) throws InterruptedException {
        return counter.awaitNewGeneration(this, timeoutNs);
    }

    /**
     * The new generation if this watcher is outdated, else empty (non-blocking {@code read()}, where empty is
     * sysgenid's {@code EAGAIN}). Never blocks on a generation change.
     */
    public OptionalLong tryReadNewGeneration() {
        try {
            return counter.awaitNewGeneration(this, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        }
    }

    /**
     * Confirms that the caller has handled {@code generation} (sysgenid's {@code write()}); the watcher is then
     * up to date. Acknowledging the current generation again is harmless.
     *
     * @param generation the current generation, as returned by a read
     * @throws io.postcopy.engine.error.PostcopyException with {@code INVALID_ARGUMENT} if {@code generation} is not
     *                                                    the current generation (it moved on since the read)
     */
    public void acknowledge(long generation) {
        counter.acknowledge(this, generation);
    }

    /** True while this watcher is outdated: a read would return at once (poll's {@code EPOLLIN}). */
    public boolean isReady() {
        return counter.isOutdated(this);
    }

    /**
     * A future completed when this watcher becomes outdated; already complete if it is outdated now. After an
     * acknowledgement, call again for a future of the next change. Completed on the thread that changed the
     * generation, so dependent actions should be short or async. Cancelled when the watcher is closed.
     */
    public CompletableFuture<Void> whenReady() {
        return counter.readiness(this);
    }

    /** Removes this watcher from its counter; it no longer counts as outdated. Idempotent. */
    @Override
    public void close() {
        counter.close(this);
    }

    boolean isOutdatedLocked(long currentGeneration) {
        return acknowledgedGeneration != currentGeneration;
    }

    void acknowledgeLocked(long currentGeneration) {
        acknowledgedGeneration = currentGeneration;
        readiness = new CompletableFuture<>();
    }

    CompletableFuture<Void> readinessLocked() {
        return readiness;
    }
}
