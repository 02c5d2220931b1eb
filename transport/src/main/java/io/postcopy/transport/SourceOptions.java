package io.postcopy.transport;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.vm.Workloads;

/**
 * Settings of a migration source: the VM it runs and where it listens.
 *
 * @param host                     address to listen on (for example 127.0.0.1)
 * @param port                     TCP port, 0 for any free port
 * @param memoryBytes              guest RAM size
 * @param pageSize                 4096 or 2097152
 * @param vcpus                    number of vCPUs, 1..256
 * @param workload                 workload name ({@link Workloads#NAMES})
 * @param bandwidthBytesPerSecond  cap on the background stream only; 0 for none
 * @param seed                     seeds the vCPUs' random numbers
 */
public record SourceOptions(String host, int port, long memoryBytes, int pageSize, int vcpus, String workload,
                            long bandwidthBytesPerSecond, long seed) {
    /** Validates every range before anything starts. */
    public SourceOptions {
        new MemoryGeometry(memoryBytes, pageSize);
        Workloads.create(workload);
        if (port < 0 || port > 65535) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "port=" + port + " (expected: 0..65535)");
        }
        if (vcpus < 1 || vcpus > 256) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "vcpus=" + vcpus + " (expected: 1..256)");
        }
        if (bandwidthBytesPerSecond < 0) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "bandwidthBytesPerSecond=" + bandwidthBytesPerSecond + " (expected: >= 0, 0 = unlimited)");
        }
    }
}
