package io.postcopy.engine.vmclock;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The layout of Linux's {@code struct vmclock_abi} (include/uapi/linux/vmclock-abi.h), field for field, every
 * multi-byte field little-endian ({@code __le16/32/64}), with the C field names, and the header's constants.
 * 112 bytes at the start of a 4096-byte page. The test {@code VmClockLayoutAbiTest} compiles a C program against
 * the header and compares every offset and size.
 *
 * <p>The VarHandles take {@code (MemorySegment page, long baseOffset)}; pass {@code 0L}. They do plain accesses
 * unless an access mode method says otherwise; the seqlock protocol is in {@link VmClockWriter} and
 * {@link VmClockReader}.
 */
public final class VmClockLayout {
    /** {@code VMCLOCK_MAGIC}: "VCLK". */
    public static final int VMCLOCK_MAGIC = 0x4b4c4356;
    /** The only version of the structure. */
    public static final int VERSION = 1;
    /** The page that holds the structure, mappable by a guest. */
    public static final int PAGE_BYTES = 4096;

    /** {@code VMCLOCK_COUNTER_ARM_VCNT}. */
    public static final int COUNTER_ARM_VCNT = 0;
    /** {@code VMCLOCK_COUNTER_X86_TSC}. */
    public static final int COUNTER_X86_TSC = 1;
    /** {@code VMCLOCK_COUNTER_INVALID}: no counter relationship is given. */
    public static final int COUNTER_INVALID = 0xff;

    /** {@code VMCLOCK_TIME_UTC}. */
    public static final int TIME_UTC = 0;
    /** {@code VMCLOCK_TIME_TAI}. */
    public static final int TIME_TAI = 1;
    /** {@code VMCLOCK_TIME_MONOTONIC}. */
    public static final int TIME_MONOTONIC = 2;

    /** {@code VMCLOCK_FLAG_TAI_OFFSET_VALID}. */
    public static final long FLAG_TAI_OFFSET_VALID = 1L;
    /** {@code VMCLOCK_FLAG_DISRUPTION_SOON}: a disruption in about a day. */
    public static final long FLAG_DISRUPTION_SOON = 1L << 1;
    /** {@code VMCLOCK_FLAG_DISRUPTION_IMMINENT}: a disruption in about an hour. */
    public static final long FLAG_DISRUPTION_IMMINENT = 1L << 2;
    /** {@code VMCLOCK_FLAG_PERIOD_ESTERROR_VALID}. */
    public static final long FLAG_PERIOD_ESTERROR_VALID = 1L << 3;
    /** {@code VMCLOCK_FLAG_PERIOD_MAXERROR_VALID}. */
    public static final long FLAG_PERIOD_MAXERROR_VALID = 1L << 4;
    /** {@code VMCLOCK_FLAG_TIME_ESTERROR_VALID}. */
    public static final long FLAG_TIME_ESTERROR_VALID = 1L << 5;
    /** {@code VMCLOCK_FLAG_TIME_MAXERROR_VALID}. */
    public static final long FLAG_TIME_MAXERROR_VALID = 1L << 6;
    /** {@code VMCLOCK_FLAG_TIME_MONOTONIC}. */
    public static final long FLAG_TIME_MONOTONIC = 1L << 7;
    /** {@code VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT}: vm_generation_counter is maintained. */
    public static final long FLAG_VM_GEN_COUNTER_PRESENT = 1L << 8;

    /** {@code VMCLOCK_STATUS_UNKNOWN}. */
    public static final int STATUS_UNKNOWN = 0;
    /** {@code VMCLOCK_STATUS_INITIALIZING}. */
    public static final int STATUS_INITIALIZING = 1;
    /** {@code VMCLOCK_STATUS_SYNCHRONIZED}. */
    public static final int STATUS_SYNCHRONIZED = 2;
    /** {@code VMCLOCK_STATUS_FREERUNNING}. */
    public static final int STATUS_FREERUNNING = 3;
    /** {@code VMCLOCK_STATUS_UNRELIABLE}. */
    public static final int STATUS_UNRELIABLE = 4;

    /** {@code VMCLOCK_LEAP_NONE}. */
    public static final int LEAP_NONE = 0;
    /** {@code VMCLOCK_LEAP_POS}: set during 23:59:60. */
    public static final int LEAP_POS = 3;

    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;

    /** {@code struct vmclock_abi}. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
        LE32.withName("magic"),
        LE32.withName("size"),
        LE16.withName("version"),
        U8.withName("counter_id"),
        U8.withName("time_type"),
        LE32.withName("seq_count"),
        LE64.withName("disruption_marker"),
        LE64.withName("flags"),
        MemoryLayout.sequenceLayout(2, U8).withName("pad"),
        U8.withName("clock_status"),
        U8.withName("leap_second_smearing_hint"),
        LE16.withName("tai_offset_sec"),
        U8.withName("leap_indicator"),
        U8.withName("counter_period_shift"),
        LE64.withName("counter_value"),
        LE64.withName("counter_period_frac_sec"),
        LE64.withName("counter_period_esterror_rate_frac_sec"),
        LE64.withName("counter_period_maxerror_rate_frac_sec"),
        LE64.withName("time_sec"),
        LE64.withName("time_frac_sec"),
        LE64.withName("time_esterror_nanosec"),
        LE64.withName("time_maxerror_nanosec"),
        LE64.withName("vm_generation_counter")).withName("vmclock_abi");

    static final VarHandle MAGIC = handle("magic");
    static final VarHandle SIZE = handle("size");
    static final VarHandle VERSION_FIELD = handle("version");
    static final VarHandle COUNTER_ID = handle("counter_id");
    static final VarHandle TIME_TYPE = handle("time_type");
    static final VarHandle SEQ_COUNT = handle("seq_count");
    static final VarHandle DISRUPTION_MARKER = handle("disruption_marker");
    static final VarHandle FLAGS = handle("flags");
    static final VarHandle CLOCK_STATUS = handle("clock_status");
    static final VarHandle LEAP_SECOND_SMEARING_HINT = handle("leap_second_smearing_hint");
    static final VarHandle TAI_OFFSET_SEC = handle("tai_offset_sec");
    static final VarHandle LEAP_INDICATOR = handle("leap_indicator");
    static final VarHandle COUNTER_PERIOD_SHIFT = handle("counter_period_shift");
    static final VarHandle COUNTER_VALUE = handle("counter_value");
    static final VarHandle COUNTER_PERIOD_FRAC_SEC = handle("counter_period_frac_sec");
    static final VarHandle COUNTER_PERIOD_ESTERROR_RATE_FRAC_SEC = handle("counter_period_esterror_rate_frac_sec");
    static final VarHandle COUNTER_PERIOD_MAXERROR_RATE_FRAC_SEC = handle("counter_period_maxerror_rate_frac_sec");
    static final VarHandle TIME_SEC = handle("time_sec");
    static final VarHandle TIME_FRAC_SEC = handle("time_frac_sec");
    static final VarHandle TIME_ESTERROR_NANOSEC = handle("time_esterror_nanosec");
    static final VarHandle TIME_MAXERROR_NANOSEC = handle("time_maxerror_nanosec");
    static final VarHandle VM_GENERATION_COUNTER = handle("vm_generation_counter");

    private VmClockLayout() {
    }

    /** Byte offset of the field with this C name. */
    public static long offsetOf(String fieldName) {
        return LAYOUT.byteOffset(PathElement.groupElement(fieldName));
    }

    /** Byte size of the field with this C name. */
    public static long sizeOf(String fieldName) {
        return LAYOUT.select(PathElement.groupElement(fieldName)).byteSize();
    }

    private static VarHandle handle(String fieldName) {
        return LAYOUT.varHandle(PathElement.groupElement(fieldName));
    }
}
