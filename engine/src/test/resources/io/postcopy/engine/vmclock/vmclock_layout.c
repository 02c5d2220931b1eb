/* Prints the layout of struct vmclock_abi as the C compiler sees it: "sizeof <n>", then one line
 * "<field> <offset> <size>" per field, then "const <name> <value>" for the constants the Java side mirrors.
 * Compiled by VmClockLayoutAbiTest against <linux/vmclock-abi.h> (the system's, or the embedded copy). */
#include <stddef.h>
#include <stdio.h>
#include <linux/vmclock-abi.h>

#define FIELD(f) printf("%s %zu %zu\n", #f, offsetof(struct vmclock_abi, f), sizeof(((struct vmclock_abi *)0)->f))
#define CONST(c) printf("const %s %llu\n", #c, (unsigned long long)(c))

int main(void)
{
	printf("sizeof %zu\n", sizeof(struct vmclock_abi));
	FIELD(magic);
	FIELD(size);
	FIELD(version);
	FIELD(counter_id);
	FIELD(time_type);
	FIELD(seq_count);
	FIELD(disruption_marker);
	FIELD(flags);
	FIELD(pad);
	FIELD(clock_status);
	FIELD(leap_second_smearing_hint);
	FIELD(tai_offset_sec);
	FIELD(leap_indicator);
	FIELD(counter_period_shift);
	FIELD(counter_value);
	FIELD(counter_period_frac_sec);
	FIELD(counter_period_esterror_rate_frac_sec);
	FIELD(counter_period_maxerror_rate_frac_sec);
	FIELD(time_sec);
	FIELD(time_frac_sec);
	FIELD(time_esterror_nanosec);
	FIELD(time_maxerror_nanosec);
	FIELD(vm_generation_counter);
	CONST(VMCLOCK_MAGIC);
	CONST(VMCLOCK_COUNTER_ARM_VCNT);
	CONST(VMCLOCK_COUNTER_X86_TSC);
	CONST(VMCLOCK_COUNTER_INVALID);
	CONST(VMCLOCK_TIME_UTC);
	CONST(VMCLOCK_TIME_TAI);
	CONST(VMCLOCK_TIME_MONOTONIC);
	CONST(VMCLOCK_FLAG_TAI_OFFSET_VALID);
	CONST(VMCLOCK_FLAG_DISRUPTION_SOON);
	CONST(VMCLOCK_FLAG_DISRUPTION_IMMINENT);
	CONST(VMCLOCK_FLAG_PERIOD_ESTERROR_VALID);
	CONST(VMCLOCK_FLAG_PERIOD_MAXERROR_VALID);
	CONST(VMCLOCK_FLAG_TIME_ESTERROR_VALID);
	CONST(VMCLOCK_FLAG_TIME_MAXERROR_VALID);
	CONST(VMCLOCK_FLAG_TIME_MONOTONIC);
	CONST(VMCLOCK_FLAG_VM_GEN_COUNTER_PRESENT);
	CONST(VMCLOCK_STATUS_UNKNOWN);
	CONST(VMCLOCK_STATUS_INITIALIZING);
	CONST(VMCLOCK_STATUS_SYNCHRONIZED);
	CONST(VMCLOCK_STATUS_FREERUNNING);
	CONST(VMCLOCK_STATUS_UNRELIABLE);
	CONST(VMCLOCK_LEAP_NONE);
	CONST(VMCLOCK_LEAP_POS);
	return 0;
}
