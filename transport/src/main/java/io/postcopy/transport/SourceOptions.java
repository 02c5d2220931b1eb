package io.postcopy.transport;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.MemoryGeometry;
import io.postcopy.engine.migration.MigrationMode;
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
 * @param mode                     postcopy, hybrid or precopy
 * @param hybridRounds             hybrid: precopy rounds before switching to post-copy (fewer if the dirty set
 *                                 stops shrinking), 1..100
 * @param maxPrecopyRounds         precopy: rounds after which it gives up converging and stops anyway, 1..1000
 * @param downtimeBudgetMs         precopy: stop once the remaining dirty pages can be sent within this time
 * @param peerIdleTimeoutMs        keepalive: a migration fails with {@code TIMEOUT} when nothing arrived on its
 *                                 CONTROL connection for this long (the destination pings it every second by
 *                                 default), >= 1
 * @param resumeWaitMs             recovery: after switchover, how long a session whose network was lost waits for
 *                                 the destination to resume it (PROTOCOL.md section 9) before it fails and the VM
 *                                 stays paused here; 0 = do not offer the {@code RECOVERY} feature at all
 */
public record SourceOptions(String host, int port, long memoryBytes, int pageSize, int vcpus, String workload,
                            long bandwidthBytesPerSecond, long seed, MigrationMode mode, int hybridRounds,
                            int maxPrecopyRounds, long downtimeBudgetMs, long peerIdleTimeoutMs,
                            long resumeWaitMs) {
    /** Default {@link #peerIdleTimeoutMs()}: ten of the destination's default PING intervals. */
    public static final long DEFAULT_PEER_IDLE_TIMEOUT_MS = 10_000;
    /** Default {@link #resumeWaitMs()}: a minute for the destination to come back after a network loss. */
    public static final long DEFAULT_RESUME_WAIT_MS = 60_000;

    /** Post-copy with the default precopy settings (unused by post-copy) and the default keepalive. */
    public SourceOptions(String host, int port, long memoryBytes, int pageSize, int vcpus, String workload,
                         long bandwidthBytesPerSecond, long seed) {
        this(host, port, memoryBytes, pageSize, vcpus, workload, bandwidthBytesPerSecond, seed, MigrationMode.POSTCOPY,
            2, 30, 50);
    }

    /** With the default keepalive. */
    public SourceOptions(String host, int port, long memoryBytes, int pageSize, int vcpus, String workload,
                         long bandwidthBytesPerSecond, long seed, MigrationMode mode, int hybridRounds,
                         int maxPrecopyRounds, long downtimeBudgetMs) {
        this(host, port, memoryBytes, pageSize, vcpus, workload, bandwidthBytesPerSecond, seed, mode, hybridRounds,
            maxPrecopyRounds, downtimeBudgetMs, DEFAULT_PEER_IDLE_TIMEOUT_MS, DEFAULT_RESUME_WAIT_MS);
    }

    /** These options with another {@link #peerIdleTimeoutMs()}. */
    public SourceOptions withPeerIdleTimeoutMs(long newPeerIdleTimeoutMs) {
        return new SourceOptions(host, port, memoryBytes, pageSize, vcpus, workload, bandwidthBytesPerSecond, seed,
            mode, hybridRounds, maxPrecopyRounds, downtimeBudgetMs, newPeerIdleTimeoutMs, resumeWaitMs);
    }

    /** These options with another {@link #resumeWaitMs()} (0 = no recovery). */
    public SourceOptions withResumeWaitMs(long newResumeWaitMs) {
        return new SourceOptions(host, port, memoryBytes, pageSize, vcpus, workload, bandwidthBytesPerSecond, seed,
            mode, hybridRounds, maxPrecopyRounds, downtimeBudgetMs, peerIdleTimeoutMs, newResumeWaitMs);
    }

    /** Validates every range before anything starts. */
    public SourceOptions {
        java.util.Objects.requireNonNull(mode, "mode");
        if (hybridRounds < 1 || hybridRounds > 100 || maxPrecopyRounds < 1 || maxPrecopyRounds > 1000
            || downtimeBudgetMs < 1) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "hybridRounds=" + hybridRounds
                + ", maxPrecopyRounds=" + maxPrecopyRounds + ", downtimeBudgetMs=" + downtimeBudgetMs
                + " (expected: 1..100, 1..1000, >= 1)");
        }
        if (resumeWaitMs < 0) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "resumeWaitMs=" + resumeWaitMs
                + " (expected: >= 0, 0 = no recovery)");
        }
        if (peerIdleTimeoutMs < 1) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "peerIdleTimeoutMs=" + peerIdleTimeoutMs
                + " (expected: >= 1)");
        }
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
