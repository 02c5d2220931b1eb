package io.postcopy.engine.device;

/**
 * An immutable copy of a simulated device's migratable state. Two devices hold the same state exactly when their
 * snapshots are {@code equals}; {@link #encode()} is the state image streamed during migration, and equal
 * snapshots have equal encodings.
 */
public sealed interface DeviceSnapshot permits BlockDeviceSnapshot, NetDeviceSnapshot {
    /** The device kind byte carried in the stream header: 1 block, 2 network. */
    int deviceKind();

    /** The state image: little-endian, fields in declaration order, variable parts length-prefixed. */
    byte[] encode();
}
