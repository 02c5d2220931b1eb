package io.postcopy.engine.vmclock;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import static io.postcopy.engine.vmclock.VmClockLayout.SEQ_COUNT;

/**
 * The guest's side of a VM clock page: consistent copies under the seqlock, as {@code ptp_vmclock} reads. Take
 * {@code seq_count} with its low bit cleared (load-acquire), read the fields, order those loads before a second
 * load of {@code seq_count} ({@link VarHandle#acquireFence()}, the guest's read barrier), and retry unless the
 * two counts are equal, which also rejects an odd (in-progress) count. Like the driver it gives up after a
 * deadline ({@value #DEFAULT_MAX_WAIT_NS} ns, {@code VMCLOCK_MAX_WAIT}) with {@code TIMEOUT}.
 *
 * <p>Thread-safe: any number of threads may read concurrently with the writer.
 */
public final class VmClockReader {
    /** The driver's {@code VMCLOCK_MAX_WAIT}: 100 ms. */
    public static final long DEFAULT_MAX_WAIT_NS = 100_000_000L;

    private final MemorySegment page;
    private final LongSupplier nanoClock;
    private final AtomicLong retries = new AtomicLong();

    /** A reader on the system clock. */
    public VmClockReader(MemorySegment page) {
        this(page, System::nanoTime);
    }

    /**
     * @param page      a VM clock page (read-only is fine); its constant fields are checked as the driver's probe
     *                  does
     * @param nanoClock clock for the retry deadline
     * @throws PostcopyException with {@code INVALID_ARGUMENT} for a page that is not a version 1 VM clock page
     */
    public VmClockReader(MemorySegment page, LongSupplier nanoClock) {
        this.page = Objects.requireNonNull(page, "page");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        if (page.byteSize() < VmClockLayout.LAYOUT.byteSize()) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "page of " + page.byteSize() + " bytes");
        }
        int magic = (int) VmClockLayout.MAGIC.get(page, 0L);
        long size = Integer.toUnsignedLong((int) VmClockLayout.SIZE.get(page, 0L));
        int version = Short.toUnsignedInt((short) VmClockLayout.VERSION_FIELD.get(page, 0L));
        if (magic != VmClockLayout.VMCLOCK_MAGIC || version != VmClockLayout.VERSION || size > page.byteSize()) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, String.format(
                "vmclock magic fields invalid: magic=0x%08x size=%d version=%d", magic, size, version));
        }
    }

    /** {@link #read(long)} with {@link #DEFAULT_MAX_WAIT_NS}. */
    public VmClockSnapshot read() {
        return read(DEFAULT_MAX_WAIT_NS);
    }

    /**
     * A consistent copy of the page.
     *
     * @param maxWaitNs how long to keep retrying while the writer is updating
     * @throws PostcopyException with {@code TIMEOUT} if no consistent copy was seen in time
     */
    public VmClockSnapshot read(long maxWaitNs) {
        long deadlineNs = nanoClock.getAsLong() + maxWaitNs;
        while (true) {
            int seq = (int) SEQ_COUNT.getAcquire(page, 0L) & ~1;
            VmClockSnapshot copy = readFields(seq);
            VarHandle.acquireFence();
            if (seq == (int) SEQ_COUNT.getOpaque(page, 0L)) {
                return copy;
            }
            retries.incrementAndGet();
            if (nanoClock.getAsLong() - deadlineNs > 0) {
                throw new PostcopyException(ErrorCode.TIMEOUT, "no consistent VM clock read within " + maxWaitNs
                    + " ns (seq_count keeps changing or stays odd)");
            }
            Thread.onSpinWait();
        }
    }

    /** The disruption marker, read consistently. */
    public long disruptionMarker() {
        return read().disruptionMarker();
    }

    /** How many reads had to be retried because an update was in progress; for tests and metrics. */
    public long retryCount() {
        return retries.get();
    }

    private VmClockSnapshot readFields(int seq) {
        return new VmClockSnapshot(
            Integer.toUnsignedLong((int) VmClockLayout.MAGIC.get(page, 0L)),
            Integer.toUnsignedLong((int) VmClockLayout.SIZE.get(page, 0L)),
            Short.toUnsignedInt((short) VmClockLayout.VERSION_FIELD.get(page, 0L)),
            Byte.toUnsignedInt((byte) VmClockLayout.COUNTER_ID.get(page, 0L)),
            Byte.toUnsignedInt((byte) VmClockLayout.TIME_TYPE.get(page, 0L)),
            Integer.toUnsignedLong(seq),
            (long) VmClockLayout.DISRUPTION_MARKER.get(page, 0L),
            (long) VmClockLayout.FLAGS.get(page, 0L),
            Byte.toUnsignedInt((byte) VmClockLayout.CLOCK_STATUS.get(page, 0L)),
            Byte.toUnsignedInt((byte) VmClockLayout.LEAP_SECOND_SMEARING_HINT.get(page, 0L)),
            (short) VmClockLayout.TAI_OFFSET_SEC.get(page, 0L),
            Byte.toUnsignedInt((byte) VmClockLayout.LEAP_INDICATOR.get(page, 0L)),
            Byte.toUnsignedInt((byte) VmClockLayout.COUNTER_PERIOD_SHIFT.get(page, 0L)),
            (long) VmClockLayout.COUNTER_VALUE.get(page, 0L),
            (long) VmClockLayout.COUNTER_PERIOD_FRAC_SEC.get(page, 0L),
            (long) VmClockLayout.COUNTER_PERIOD_ESTERROR_RATE_FRAC_SEC.get(page, 0L),
            (long) VmClockLayout.COUNTER_PERIOD_MAXERROR_RATE_FRAC_SEC.get(page, 0L),
            (long) VmClockLayout.TIME_SEC.get(page, 0L),
            (long) VmClockLayout.TIME_FRAC_SEC.get(page, 0L),
            (long) VmClockLayout.TIME_ESTERROR_NANOSEC.get(page, 0L),
            (long) VmClockLayout.TIME_MAXERROR_NANOSEC.get(page, 0L),
            (long) VmClockLayout.VM_GENERATION_COUNTER.get(page, 0L));
    }
}
