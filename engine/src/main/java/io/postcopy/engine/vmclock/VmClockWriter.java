package io.postcopy.engine.vmclock;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

import static io.postcopy.engine.vmclock.VmClockLayout.DISRUPTION_MARKER;
import static io.postcopy.engine.vmclock.VmClockLayout.SEQ_COUNT;
import static io.postcopy.engine.vmclock.VmClockLayout.VM_GENERATION_COUNTER;

/**
 * The hypervisor's side of a VM clock page: the only writer of the page, following the seqlock protocol that
 * {@code ptp_vmclock} reads with. An update makes {@code seq_count} odd, orders that store before the field
 * stores ({@link VarHandle#releaseFence()}, the hypervisor's write barrier), writes the fields, then makes
 * {@code seq_count} even again with a release store, so a reader that sees the same even count before and after
 * its reads saw one whole update.
 *
 * <p>{@link #markMigrated} writes a new {@code disruption_marker}: a random 64-bit value (SecureRandom by default)
 * that is never zero and never equal to any marker this writer has written or found on the page, so a guest
 * comparing markers can never mistake two disruptions for none.
 *
 * <p>Thread-safe (methods are serialised), though one writer thread per page is the intended use. Readers may
 * run concurrently on any thread.
 */
public final class VmClockWriter {
    private final MemorySegment page;
    private final RandomGenerator random;
    private final Set<Long> markersUsed = new HashSet<>();
    private final VmClockUpdate update;

    private VmClockWriter(MemorySegment page, RandomGenerator random) {
        this.page = page;
        this.random = Objects.requireNonNull(random, "random");
        this.update = new VmClockUpdate(page);
    }

    /**
     * Initialises a page: zeroes it, writes the constant fields (magic, size 4096, version 1, counter id, time
     * type), a fresh disruption marker, {@code VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT}, generation 0, status unknown.
     *
     * @param page      at least {@value VmClockLayout#PAGE_BYTES} bytes, 8-byte aligned
     * @param counterId {@code VMCLOCK_COUNTER_*}
     * @param timeType  {@code VMCLOCK_TIME_*}
     */
    public static VmClockWriter create(MemorySegment page, int counterId, int timeType) {
        return create(page, counterId, timeType, new SecureRandom());
    }

    /** As {@link #create(MemorySegment, int, int)}, with the marker source given (tests inject one). */
    public static VmClockWriter create(MemorySegment page, int counterId, int timeType, RandomGenerator random) {
        checkPage(page);
        page.asSlice(0, VmClockLayout.PAGE_BYTES).fill((byte) 0);
        VmClockLayout.MAGIC.set(page, 0L, VmClockLayout.VMCLOCK_MAGIC);
        VmClockLayout.SIZE.set(page, 0L, VmClockLayout.PAGE_BYTES);
        VmClockLayout.VERSION_FIELD.set(page, 0L, (short) VmClockLayout.VERSION);
        VmClockLayout.COUNTER_ID.set(page, 0L, (byte) counterId);
        VmClockLayout.TIME_TYPE.set(page, 0L, (byte) timeType);
        VmClockWriter writer = new VmClockWriter(page, random);
        writer.update(fields -> fields.flags(VmClockLayout.FLAG_VM_GEN_COUNTER_PRESENT));
        writer.markMigrated(0);
        return writer;
    }

    /**
     * Takes over a page already initialised elsewhere (the destination receives the source's page): checks its
     * constant fields and remembers its current marker as used.
     *
     * @throws PostcopyException with {@code INVALID_ARGUMENT} if the page is not a version 1 VM clock page
     */
    public static VmClockWriter attach(MemorySegment page, RandomGenerator random) {
        checkPage(page);
        int magic = (int) VmClockLayout.MAGIC.get(page, 0L);
        int version = Short.toUnsignedInt((short) VmClockLayout.VERSION_FIELD.get(page, 0L));
        if (magic != VmClockLayout.VMCLOCK_MAGIC || version != VmClockLayout.VERSION) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, String.format(
                "not a VM clock page: magic=0x%08x version=%d (expected: 0x%08x, 1)", magic, version,
                VmClockLayout.VMCLOCK_MAGIC));
        }
        VmClockWriter writer = new VmClockWriter(page, random);
        writer.markersUsed.add((long) DISRUPTION_MARKER.getAcquire(page, 0L));
        return writer;
    }

    /** A read-only view of the page, to hand to readers (or map into a guest). */
    public MemorySegment page() {
        return page.asSlice(0, VmClockLayout.PAGE_BYTES).asReadOnly();
    }

    /**
     * Changes fields under the seqlock: {@code seq_count} is odd while {@code edits} runs and even, one update
     * later, when this returns. If {@code edits} throws, the count is still made even (the fields may then be
     * partly changed, but never seen torn).
     */
    public synchronized void update(Consumer<VmClockUpdate> edits) {
        int odd = beginUpdate();
        update.open(true);
        try {
            edits.accept(update);
        } finally {
            update.open(false);
            endUpdate(odd);
        }
    }

    /**
     * Tells the guest that its clock was disrupted by a migration: writes a fresh disruption marker and
     * {@code vmGenerationCounter}, and sets {@code VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT}, in one update. Pass
     * the current value unchanged for a plain live migration (the generation changes only when the guest is
     * loaded from a snapshot); pass a new one for a restore or a clone.
     *
     * @param vmGenerationCounter the value for {@code vm_generation_counter} (u64)
     * @return the new disruption marker
     */
    public synchronized long markMigrated(long vmGenerationCounter) {
        long marker = freshMarker();
        int odd = beginUpdate();
        try {
            DISRUPTION_MARKER.set(page, 0L, marker);
            VM_GENERATION_COUNTER.set(page, 0L, vmGenerationCounter);
            VmClockLayout.FLAGS.set(page, 0L,
                (long) VmClockLayout.FLAGS.get(page, 0L) | VmClockLayout.FLAG_VM_GEN_COUNTER_PRESENT);
        } finally {
            endUpdate(odd);
        }
        return marker;
    }

    /** The disruption marker on the page now. */
    public synchronized long disruptionMarker() {
        return (long) DISRUPTION_MARKER.get(page, 0L);
    }

    private long freshMarker() {
        long marker;
        do {
            marker = random.nextLong();
        } while (marker == 0 || !markersUsed.add(marker));
        return marker;
    }

    private int beginUpdate() {
        int current = (int) SEQ_COUNT.getOpaque(page, 0L);
        // An odd count on entry is an update torn by a previous writer: stay odd, finish it with this one.
        int odd = current | 1;
        SEQ_COUNT.setOpaque(page, 0L, odd);
        VarHandle.releaseFence();
        return odd;
    }

    private void endUpdate(int odd) {
        SEQ_COUNT.setRelease(page, 0L, odd + 1);
    }

    private static void checkPage(MemorySegment page) {
        if (page.byteSize() < VmClockLayout.PAGE_BYTES || page.maxByteAlignment() < Long.BYTES
            || page.isReadOnly()) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "page of " + page.byteSize()
                + " bytes, alignment " + page.maxByteAlignment() + ", readOnly=" + page.isReadOnly()
                + " (expected: >= 4096 bytes, 8-byte aligned, writable)");
        }
    }
}
