package io.postcopy.protocol;

/**
 * SWITCHOVER (0x20): the source has stopped its vCPUs; {@code vcpuCount} VCPU_STATE messages and the state of
 * {@code deviceCount} devices follow on the CONTROL connection, after which the destination resumes the guest.
 *
 * @param sourceStopEpochNs the source's wall-clock time when its vCPUs stopped, in nanoseconds since the Unix
 *                          epoch (used to report downtime; meaningful only with synchronised clocks)
 * @param vcpuCount         number of VCPU_STATE messages that follow, u32 (at most 2^31-1)
 * @param deviceCount       number of devices whose DEVICE_STATE_CHUNK streams follow, u32 (at most 2^31-1); 0
 *                          unless {@link Feature#DEVICE_STATE} was granted
 */
public record Switchover(long sourceStopEpochNs, int vcpuCount, int deviceCount) implements Message {
    /** Size of the body on the wire, in bytes. */
    public static final int BODY_LENGTH_IN_BYTES = 16;

    /** Validates the ranges; see the record's parameters. */
    public Switchover {
        Checks.nonNegative(vcpuCount, "vcpuCount");
        Checks.nonNegative(deviceCount, "deviceCount");
    }

    @Override
    public MessageType type() {
        return MessageType.SWITCHOVER;
    }
}
