package io.postcopy.engine.machine;

/**
 * Whether one device's state arrived whole at the destination: its stream was complete, in order, ended with a
 * LAST chunk, and the state it loaded has the SHA-256 the source computed over its final state (the END record
 * of the device's stream). Serialised as {@code {"name": ..., "verified": ...}} in the JSON report.
 *
 * @param name     the device's name
 * @param verified true if the state was loaded and matched the source's digest
 */
public record DeviceVerification(String name, boolean verified) {
}
