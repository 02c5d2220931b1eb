package io.postcopy.cli.option;

import picocli.CommandLine.Option;

/** The simulated VM's shape and program, shared by {@code source} and {@code demo} (a picocli mixin). */
public final class GuestOptions {
    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "256m", converter = SizeConverter.class,
        description = "Guest RAM, e.g. 256m or 1g (default: ${DEFAULT-VALUE}).")
    long memoryBytes;

    @Option(names = "--vcpus", paramLabel = "N", defaultValue = "2", description = "vCPUs (default: ${DEFAULT-VALUE}).")
    int vcpus;

    @Option(names = "--workload", paramLabel = "NAME", defaultValue = "kv", converter = WorkloadConverter.class,
        description = "sequential, random, hotset or kv (default: ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--page-size", paramLabel = "4k|2m", defaultValue = "4k", converter = PageSizeConverter.class,
        description = "Page size (default: ${DEFAULT-VALUE}).")
    int pageSize;

    /** Guest RAM in bytes. */
    public long memoryBytes() {
        return memoryBytes;
    }

    /** Number of vCPUs. */
    public int vcpus() {
        return vcpus;
    }

    /** The workload's name. */
    public String workload() {
        return workload;
    }

    /** Page size in bytes. */
    public int pageSize() {
        return pageSize;
    }
}
