package io.postcopy.transport;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.vm.Workloads;

import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * The machine description the source sends before the vCPU states, as the state of a pseudo-device named
 * {@value #DEVICE_NAME}: which workload (guest program) the vCPUs run. Encoded as {@code key=value} lines.
 *
 * @param workload the workload name
 * @param vcpus    the number of vCPUs
 */
record VmDescription(String workload, int vcpus) {
    static final String DEVICE_NAME = "vm-config";

    byte[] toBytes() {
        return ("workload=" + workload + "\nvcpus=" + vcpus + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static VmDescription fromBytes(byte[] bytes) {
        Properties properties = new Properties();
        try {
            properties.load(new java.io.StringReader(new String(bytes, StandardCharsets.UTF_8)));
            String workload = properties.getProperty("workload", "");
            Workloads.create(workload);
            return new VmDescription(workload, Integer.parseInt(properties.getProperty("vcpus", "")));
        } catch (java.io.IOException | NumberFormatException | PostcopyException e) {
            throw new PostcopyException(ErrorCode.MALFORMED_FRAME, "invalid vm-config device state: " + e.getMessage(),
                e);
        }
    }
}
