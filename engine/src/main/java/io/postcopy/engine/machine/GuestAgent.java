package io.postcopy.engine.machine;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.genid.GenerationCounter;
import io.postcopy.engine.genid.GenerationWatcher;
import io.postcopy.engine.vmclock.VmClockReader;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The guest's view of its identity and time, as a program inside the guest would keep it: a generation watcher
 * (an open {@code /dev/sysgenid}) and the VM clock page, read with the seqlock as {@code ptp_vmclock} does.
 *
 * <p>Create it before the VM resumes (it records the generation and disruption marker it starts with), then
 * {@link #start()} its thread: it blocks on the watcher for a new generation (in slices of
 * {@value #POLL_SLICE_MS} ms, so that it notices {@link #close()}), reads the clock page, acknowledges the
 * generation and records what it saw in {@link #observation()}. It handles every new generation this way until
 * closed. If the generation moves on between its read and its acknowledgement, it reads again.
 *
 * <p>Threads: {@link #start()}, {@link #awaitAcknowledgements} and {@link #close()} by one controlling thread;
 * {@link #observation()} and {@link #failure()} from any thread.
 */
public final class GuestAgent implements AutoCloseable {
    /** Longest single blocking read of the watcher, in milliseconds. */
    public static final long POLL_SLICE_MS = 50;
    /** How long {@link #close()} waits for the agent thread to end. */
    public static final long CLOSE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final String name;
    private final GenerationWatcher watcher;
    private final VmClockReader clock;
    private final Object lock = new Object();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private AgentObservation observation;
    private volatile boolean running;
    private Thread thread;

    /**
     * Opens the guest's watcher on {@code counter} and reads the starting generation and marker.
     *
     * @param name      names the agent's thread
     * @param counter   the VM's generation counter
     * @param clockPage the VM clock page (read-only is fine)
     * @throws PostcopyException with {@code INVALID_ARGUMENT} if the page is not a VM clock page
     */
    public GuestAgent(String name, GenerationCounter counter, MemorySegment clockPage) {
        this.name = Objects.requireNonNull(name, "name");
        this.clock = new VmClockReader(clockPage);
        this.watcher = counter.openWatcher();
        long generation = GenerationCounter.readGeneration(counter.counterPage());
        long marker = clock.disruptionMarker();
        this.observation = new AgentObservation(generation, generation, marker, marker, 0);
    }

    /** The agent for a VM's identity. */
    public static GuestAgent of(String name, MachineIdentity identity) {
        return new GuestAgent(name, identity.counter(), identity.clockPage());
    }

    /**
     * Starts the agent thread.
     *
     * @throws IllegalStateException if already started
     */
    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException(name + " already started");
        }
        running = true;
        thread = Thread.ofPlatform().name(name).daemon().start(this::run);
    }

    /** What the agent has seen so far. */
    public AgentObservation observation() {
        synchronized (lock) {
            return observation;
        }
    }

    /**
     * Waits until the agent has acknowledged at least {@code count} new generations.
     *
     * @param count     acknowledgements wanted
     * @param timeoutNs longest wait in nanoseconds
     * @return what the agent had seen when the wait ended (check {@link AgentObservation#acknowledgements()})
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    public AgentObservation awaitAcknowledgements(int count, long timeoutNs) throws InterruptedException {
        long deadlineNs = System.nanoTime() + timeoutNs;
        synchronized (lock) {
            while (observation.acknowledgements() < count && failure.get() == null) {
                long remainingNs = deadlineNs - System.nanoTime();
                if (remainingNs <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, remainingNs);
            }
            return observation;
        }
    }

    /** What ended the agent thread, if it failed. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /**
     * Stops the agent thread (waiting at most {@link #CLOSE_TIMEOUT_NS}) and closes the watcher, so it no longer
     * counts as a watcher. Idempotent.
     *
     * @throws PostcopyException with {@code TIMEOUT} if the thread did not end in time
     */
    @Override
    public synchronized void close() {
        running = false;
        try {
            if (thread != null && !thread.join(Duration.ofNanos(CLOSE_TIMEOUT_NS))) {
                throw new PostcopyException(ErrorCode.TIMEOUT, name + " did not stop within "
                    + CLOSE_TIMEOUT_NS + " ns");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            watcher.close();
        }
    }

    private void run() {
        try {
            while (running) {
                OptionalLong generation = watcher.readNewGeneration(TimeUnit.MILLISECONDS.toNanos(POLL_SLICE_MS));
                if (generation.isPresent()) {
                    onNewGeneration(generation.getAsLong());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    private void onNewGeneration(long generation) {
        long marker = clock.disruptionMarker();
        try {
            watcher.acknowledge(generation);
        } catch (PostcopyException e) {
            if (e.code() == ErrorCode.INVALID_ARGUMENT && watcher.isReady()) {
                return; // the generation moved on since the read: the next read returns the newer one
            }
            throw e;
        }
        synchronized (lock) {
            observation = new AgentObservation(observation.generationBefore(), generation,
                observation.disruptionMarkerBefore(), marker, observation.acknowledgements() + 1);
            lock.notifyAll();
        }
    }
}
