package io.postcopy.engine.machine;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.genid.GenerationCounter;
import io.postcopy.engine.genid.GenerationWatcher;
import io.postcopy.engine.genid.WaitResult;
import io.postcopy.engine.vmclock.VmClockLayout;
import io.postcopy.engine.vmclock.VmClockReader;
import io.postcopy.engine.vmclock.VmClockWriter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The hypervisor's side of what a guest is told about its identity and time: the system generation counter
 * (sysgenid semantics) and the VM clock page ({@code struct vmclock_abi}) of one VM.
 *
 * <p>Only two values cross a migration, in the VM description: {@link #generation()} and
 * {@link #disruptionMarker()} of the source. The destination rebuilds both with {@link #resumeFrom}, lets the
 * guest open its watchers and read the page, and after the vCPUs resume calls {@link #onResumed()}: a fresh
 * disruption marker first, then a new generation, so a guest woken by the new generation already finds the new
 * marker. {@link #awaitAcknowledged} then waits for the guest's watchers to acknowledge. The other fields of the
 * clock page are not carried: they describe the host the guest runs on, which is the destination's business.
 *
 * <p>The object holds a watcher of its own (the host's), used as the caller of
 * {@link GenerationCounter#waitForWatchers} and acknowledged by {@link #onResumed()}; it is not counted as a
 * guest watcher. Threads: {@link #onResumed()} and {@link #awaitAcknowledged} by one controlling thread; the
 * accessors from any thread.
 */
public final class MachineIdentity {
    private final GenerationCounter counter;
    private final VmClockWriter clock;
    private final VmClockReader clockReader;
    private final GenerationWatcher hostWatcher;

    private MachineIdentity(GenerationCounter counter, VmClockWriter clock) {
        this.counter = counter;
        this.clock = clock;
        this.clockReader = new VmClockReader(clock.page());
        this.hostWatcher = counter.openWatcher();
    }

    /** A new VM (the source of a first migration): generation 0 and a fresh clock page with a random marker. */
    public static MachineIdentity fresh() {
        MemorySegment page = allocatePage();
        return new MachineIdentity(new GenerationCounter(),
            VmClockWriter.create(page, VmClockLayout.COUNTER_INVALID, VmClockLayout.TIME_UTC));
    }

    /** {@link #resumeFrom(long, long, RandomGenerator)} with markers from a {@link SecureRandom}. */
    public static MachineIdentity resumeFrom(long sourceGeneration, long sourceDisruptionMarker) {
        return resumeFrom(sourceGeneration, sourceDisruptionMarker, new SecureRandom());
    }

    /**
     * The destination's identity before resume: a counter at the source's generation and a clock page that
     * shows the source's disruption marker, so that the guest sees both unchanged until {@link #onResumed()}.
     *
     * @param sourceGeneration       the source's generation, 0..{@link GenerationCounter#MAX_GENERATION}
     * @param sourceDisruptionMarker the source's marker; never 0 on a valid page
     * @param random                 source of later markers
     * @throws PostcopyException with {@code INVALID_ARGUMENT} for a value out of range
     */
    public static MachineIdentity resumeFrom(long sourceGeneration, long sourceDisruptionMarker,
                                             RandomGenerator random) {
        Objects.requireNonNull(random, "random");
        if (sourceDisruptionMarker == 0) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "sourceDisruptionMarker=0 (expected: non-zero, as every VM clock page carries)");
        }
        MemorySegment page = allocatePage();
        // create() draws its first marker from the generator: make that the source's marker.
        RandomGenerator sourceMarker = () -> sourceDisruptionMarker;
        VmClockWriter.create(page, VmClockLayout.COUNTER_INVALID, VmClockLayout.TIME_UTC, sourceMarker);
        return new MachineIdentity(new GenerationCounter(sourceGeneration), VmClockWriter.attach(page, random));
    }

    /** The generation counter, for the guest to open watchers on and read its page. */
    public GenerationCounter counter() {
        return counter;
    }

    /** A read-only view of the VM clock page, for the guest. */
    public MemorySegment clockPage() {
        return clock.page();
    }

    /** The current generation (what the source sends in the VM description). */
    public long generation() {
        return counter.currentGenerationFromPage();
    }

    /** The current disruption marker (what the source sends in the VM description). */
    public long disruptionMarker() {
        return clock.disruptionMarker();
    }

    /**
     * Tells the guest it was migrated: writes a fresh disruption marker (keeping {@code vm_generation_counter},
     * as a live migration does), then bumps the generation counter, and acknowledges the host's own watcher.
     * Call after the destination's vCPUs resume.
     *
     * @return the values before and after
     */
    public synchronized IdentityChange onResumed() {
        long generationBefore = counter.currentGenerationFromPage();
        long markerBefore = clock.disruptionMarker();
        long markerAfter = clock.markMigrated(clockReader.read().vmGenerationCounter());
        long generationAfter = counter.bump();
        hostWatcher.acknowledge(generationAfter);
        return new IdentityChange(generationBefore, generationAfter, markerBefore, markerAfter);
    }

    /**
     * Waits until every guest watcher has acknowledged the current generation, or the deadline passes
     * (sysgenid's {@code SYSGENID_WAIT_WATCHERS}).
     *
     * @param timeoutNs longest wait in nanoseconds
     * @return the number of guest watchers that have acknowledged the current generation when the wait ended
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    public synchronized int awaitAcknowledged(long timeoutNs) throws InterruptedException {
        long deadlineNs = System.nanoTime() + timeoutNs;
        while (true) {
            WaitResult result = counter.waitForWatchers(hostWatcher, Math.max(0, deadlineNs - System.nanoTime()));
            if (result.outcome() != WaitResult.Outcome.CALLER_OUTDATED) {
                return counter.watcherCount() - 1 - result.outdatedWatchers();
            }
            // Someone else changed the generation meanwhile: the host has seen it; wait for the guest again.
            hostWatcher.tryReadNewGeneration().ifPresent(this::acknowledgeQuietly);
        }
    }

    private void acknowledgeQuietly(long generation) {
        try {
            hostWatcher.acknowledge(generation);
        } catch (PostcopyException e) {
            // It moved on again between the read and the acknowledgement: the next round reads it anew.
        }
    }

    private static MemorySegment allocatePage() {
        return Arena.ofAuto().allocate(VmClockLayout.PAGE_BYTES, VmClockLayout.PAGE_BYTES);
    }
}
