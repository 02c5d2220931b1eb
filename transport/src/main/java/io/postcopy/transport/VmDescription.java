package io.postcopy.transport;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.vm.Workloads;

import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * The machine description the source sends right after the control handshake, as the state of a pseudo-device
 * named {@value #DEVICE_NAME}: the guest program its vCPUs run, how many vCPUs, and the guest-visible identity the
 * destination continues from (the generation counter's value and the VM clock's disruption marker). Encoded as
 * {@code key=value} lines.
 *
 * @param workload         the workload name
 * @param vcpus            the number of vCPUs
 * @param generation       the source's generation counter
 * @param disruptionMarker the source's VM clock disruption marker
 */
record VmDescription(String workload, int vcpus, long generation, long disruptionMarker) {
    static final String DEVICE_NAME = "vm-config";

    byte[] toBytes() {
        return ("workload=" + workload + "\nvcpus=" + vcpus + "\ngeneration=" + generation + "\ndisruptionMarker="
            + disruptionMarker + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static VmDescription fromBytes(byte[] bytes) {
        Properties properties = new Properties();
        try {
            properties.load(new java.io.StringReader(new String(bytes, StandardCharsets.UTF_8)));
            String workload = properties.getProperty("workload", "");
            Workloads.create(workload);
            return new VmDescription(workload, Integer.parseInt(properties.getProperty("vcpus", "")),
                Long.parseLong(properties.getProperty("generation", "")),
                Long.parseLong(properties.getProperty("disruptionMarker", "")));
        } catch (java.io.IOException | NumberFormatException | PostcopyException e) {
            throw new PostcopyException(ErrorCode.MALFORMED_FRAME, "invalid vm-config device state: " + e.getMessage(),
                e);
        }
    }
}
