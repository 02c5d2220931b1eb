package io.postcopy.engine.vmclock;

import java.lang.foreign.MemorySegment;

import static io.postcopy.engine.vmclock.VmClockLayout.CLOCK_STATUS;
import static io.postcopy.engine.vmclock.VmClockLayout.COUNTER_PERIOD_ESTERROR_RATE_FRAC_SEC;
import static io.postcopy.engine.vmclock.VmClockLayout.COUNTER_PERIOD_FRAC_SEC;
import static io.postcopy.engine.vmclock.VmClockLayout.COUNTER_PERIOD_MAXERROR_RATE_FRAC_SEC;
import static io.postcopy.engine.vmclock.VmClockLayout.COUNTER_PERIOD_SHIFT;
import static io.postcopy.engine.vmclock.VmClockLayout.COUNTER_VALUE;
import static io.postcopy.engine.vmclock.VmClockLayout.FLAGS;
import static io.postcopy.engine.vmclock.VmClockLayout.LEAP_INDICATOR;
import static io.postcopy.engine.vmclock.VmClockLayout.LEAP_SECOND_SMEARING_HINT;
import static io.postcopy.engine.vmclock.VmClockLayout.TAI_OFFSET_SEC;
import static io.postcopy.engine.vmclock.VmClockLayout.TIME_ESTERROR_NANOSEC;
import static io.postcopy.engine.vmclock.VmClockLayout.TIME_FRAC_SEC;
import static io.postcopy.engine.vmclock.VmClockLayout.TIME_MAXERROR_NANOSEC;
import static io.postcopy.engine.vmclock.VmClockLayout.TIME_SEC;

/**
 * The fields a {@link VmClockWriter#update} may change, written straight into the page while {@code seq_count}
 * is odd. Valid only inside the update callback, on the writer's thread; afterwards every call fails with
 * {@link IllegalStateException}. The disruption marker and the VM generation counter change only through
 * {@link VmClockWriter#markMigrated}.
 */
public final class VmClockUpdate {
    private final MemorySegment page;
    private boolean open;

    VmClockUpdate(MemorySegment page) {
        this.page = page;
    }

    void open(boolean nowOpen) {
        this.open = nowOpen;
    }

    /** Sets {@code flags} ({@code VMCLOCK_FLAG_*}). */
    public VmClockUpdate flags(long flags) {
        check();
        FLAGS.set(page, 0L, flags);
        return this;
    }

    /** Sets {@code clock_status} ({@code VMCLOCK_STATUS_*}). */
    public VmClockUpdate clockStatus(int status) {
        check();
        CLOCK_STATUS.set(page, 0L, (byte) status);
        return this;
    }

    /** Sets {@code leap_second_smearing_hint}, {@code leap_indicator} and {@code tai_offset_sec} (seconds). */
    public VmClockUpdate leapSeconds(int smearingHint, int leapIndicator, int taiOffsetSec) {
        check();
        LEAP_SECOND_SMEARING_HINT.set(page, 0L, (byte) smearingHint);
        LEAP_INDICATOR.set(page, 0L, (byte) leapIndicator);
        TAI_OFFSET_SEC.set(page, 0L, (short) taiOffsetSec);
        return this;
    }

    /**
     * Sets the counter's relationship to time: {@code counter_value}, {@code counter_period_frac_sec} and
     * {@code counter_period_shift} (period unit: 1/2^(64 + shift) s).
     */
    public VmClockUpdate counter(long counterValue, long periodFracSec, int periodShift) {
        check();
        COUNTER_VALUE.set(page, 0L, counterValue);
        COUNTER_PERIOD_FRAC_SEC.set(page, 0L, periodFracSec);
        COUNTER_PERIOD_SHIFT.set(page, 0L, (byte) periodShift);
        return this;
    }

    /** Sets the period's estimated and maximum error rates (same unit as the period). */
    public VmClockUpdate counterPeriodErrors(long esterrorRateFracSec, long maxerrorRateFracSec) {
        check();
        COUNTER_PERIOD_ESTERROR_RATE_FRAC_SEC.set(page, 0L, esterrorRateFracSec);
        COUNTER_PERIOD_MAXERROR_RATE_FRAC_SEC.set(page, 0L, maxerrorRateFracSec);
        return this;
    }

    /** Sets {@code time_sec} and {@code time_frac_sec} (1/2^64 s) at {@code counter_value}. */
    public VmClockUpdate time(long timeSec, long timeFracSec) {
        check();
        TIME_SEC.set(page, 0L, timeSec);
        TIME_FRAC_SEC.set(page, 0L, timeFracSec);
        return this;
    }

    /** Sets the time's estimated and maximum errors in nanoseconds. */
    public VmClockUpdate timeErrors(long esterrorNanosec, long maxerrorNanosec) {
        check();
        TIME_ESTERROR_NANOSEC.set(page, 0L, esterrorNanosec);
        TIME_MAXERROR_NANOSEC.set(page, 0L, maxerrorNanosec);
        return this;
    }

    /** The current {@code flags}, to change single bits. */
    public long flags() {
        check();
        return (long) FLAGS.get(page, 0L);
    }

    private void check() {
        if (!open) {
            throw new IllegalStateException("a VmClockUpdate is valid only inside VmClockWriter.update()");
        }
    }
}
