package io.postcopy.engine.vmclock;

/**
 * A consistent copy of a VM clock page: every field of {@code struct vmclock_abi} as read under one even
 * {@code seq_count}. Unsigned C fields are widened ({@code u8}/{@code u16} to {@code int}, {@code u32} to
 * {@code long}); {@code u64} fields stay in a {@code long} (compare them unsigned). {@code taiOffsetSec} is the
 * signed value ("actually two's complement signed").
 *
 * @param magic                            {@link VmClockLayout#VMCLOCK_MAGIC} on a valid page
 * @param size                             bytes of the region holding the structure
 * @param version                          1
 * @param counterId                        {@code VMCLOCK_COUNTER_*}
 * @param timeType                         {@code VMCLOCK_TIME_*}
 * @param seqCount                         the even sequence number the copy was read under
 * @param disruptionMarker                 changes to a never-repeated value on every disruption (migration)
 * @param flags                            {@code VMCLOCK_FLAG_*}
 * @param clockStatus                      {@code VMCLOCK_STATUS_*}
 * @param leapSecondSmearingHint           {@code VMCLOCK_SMEARING_*}
 * @param taiOffsetSec                     TAI - UTC in seconds
 * @param leapIndicator                    {@code VMCLOCK_LEAP_*}
 * @param counterPeriodShift               extra shift of the period fields
 * @param counterValue                     counter reading paired with the time fields
 * @param counterPeriodFracSec             counter period in 1/2^(64 + shift) seconds
 * @param counterPeriodEsterrorRateFracSec estimated error of the period, same unit
 * @param counterPeriodMaxerrorRateFracSec maximum error of the period, same unit
 * @param timeSec                          seconds since the time type's epoch at {@code counterValue}
 * @param timeFracSec                      fraction of a second in 1/2^64 s
 * @param timeEsterrorNanosec              estimated error of the time, ns
 * @param timeMaxerrorNanosec              maximum error of the time, ns
 * @param vmGenerationCounter              changes when the guest is loaded from a snapshot
 */
public record VmClockSnapshot(long magic, long size, int version, int counterId, int timeType, long seqCount,
                              long disruptionMarker, long flags, int clockStatus, int leapSecondSmearingHint,
                              int taiOffsetSec, int leapIndicator, int counterPeriodShift, long counterValue,
                              long counterPeriodFracSec, long counterPeriodEsterrorRateFracSec,
                              long counterPeriodMaxerrorRateFracSec, long timeSec, long timeFracSec,
                              long timeEsterrorNanosec, long timeMaxerrorNanosec, long vmGenerationCounter) {
}
