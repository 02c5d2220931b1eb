package io.postcopy.transport;

import io.postcopy.engine.backend.FaultBackend;
import io.postcopy.engine.backend.VcpuAccessorDecorator;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.fault.FaultEngineContext;

import java.util.Objects;
import java.util.function.Function;

/**
 * Settings of a migration destination.
 *
 * @param host             the source's address
 * @param port             the source's port
 * @param backendFactory   creates the fault backend for the geometry the source announces
 * @param runAfterMs       how long the migrated VM keeps running after the last page arrived, before the
 *                         workload's self-check
 * @param timeoutMs        upper bound on the whole migration; every network wait has a deadline within it
 * @param prefetchPages    pages after each faulting page to ask for too (prefetch around faults), 0 = off
 * @param pingIntervalMs   keepalive: a PING goes to the source on the CONTROL connection this often
 * @param keepaliveTimeoutMs keepalive: the migration fails with {@code TIMEOUT} when nothing (no PONG, no other
 *                         frame) arrived on the CONTROL connection for this long; more than {@code pingIntervalMs}
 * @param recoveryTimeoutMs recovery: after the VM resumed here, how long a lost network may take to come back
 *                         (reconnecting with backoff, PROTOCOL.md section 9) before the migration fails with
 *                         {@code TIMEOUT}; faulting vCPUs keep waiting meanwhile. 0 = do not ask for
 *                         {@code RECOVERY}: a lost connection fails the migration at once. The whole migration
 *                         still ends by {@code timeoutMs}
 * @param vcpuAccessorDecorator wraps each vCPU's accessor before the VM is built ({@link VcpuAccessorDecorator#NONE}
 *                         by default): how a bench paces or observes the guest without wrapping the backend
 */
public record DestinationOptions(String host, int port, Function<FaultEngineContext, FaultBackend> backendFactory,
                                 long runAfterMs, long timeoutMs, int prefetchPages, long pingIntervalMs,
                                 long keepaliveTimeoutMs, long recoveryTimeoutMs,
                                 VcpuAccessorDecorator vcpuAccessorDecorator) {
    /** Default {@link #pingIntervalMs()}: one PING a second. */
    public static final long DEFAULT_PING_INTERVAL_MS = 1_000;
    /** Default {@link #keepaliveTimeoutMs()}: ten unanswered PINGs. */
    public static final long DEFAULT_KEEPALIVE_TIMEOUT_MS = 10_000;
    /** Default {@link #recoveryTimeoutMs()}: a minute to get the network back. */
    public static final long DEFAULT_RECOVERY_TIMEOUT_MS = 60_000;

    /** vCPU accessors as the backend makes them. */
    public DestinationOptions(String host, int port, Function<FaultEngineContext, FaultBackend> backendFactory,
                              long runAfterMs, long timeoutMs, int prefetchPages, long pingIntervalMs,
                              long keepaliveTimeoutMs, long recoveryTimeoutMs) {
        this(host, port, backendFactory, runAfterMs, timeoutMs, prefetchPages, pingIntervalMs, keepaliveTimeoutMs,
            recoveryTimeoutMs, VcpuAccessorDecorator.NONE);
    }

    /** Without prefetch around faults, with the default keepalive. */
    public DestinationOptions(String host, int port, Function<FaultEngineContext, FaultBackend> backendFactory,
                              long runAfterMs, long timeoutMs) {
        this(host, port, backendFactory, runAfterMs, timeoutMs, 0);
    }

    /** With the default keepalive. */
    public DestinationOptions(String host, int port, Function<FaultEngineContext, FaultBackend> backendFactory,
                              long runAfterMs, long timeoutMs, int prefetchPages) {
        this(host, port, backendFactory, runAfterMs, timeoutMs, prefetchPages, DEFAULT_PING_INTERVAL_MS,
            DEFAULT_KEEPALIVE_TIMEOUT_MS, DEFAULT_RECOVERY_TIMEOUT_MS);
    }

    /** These options with another keepalive (see {@link #pingIntervalMs()}, {@link #keepaliveTimeoutMs()}). */
    public DestinationOptions withKeepalive(long newPingIntervalMs, long newKeepaliveTimeoutMs) {
        return new DestinationOptions(host, port, backendFactory, runAfterMs, timeoutMs, prefetchPages,
            newPingIntervalMs, newKeepaliveTimeoutMs, recoveryTimeoutMs, vcpuAccessorDecorator);
    }

    /** These options with another {@link #recoveryTimeoutMs()} (0 = no recovery). */
    public DestinationOptions withRecoveryTimeoutMs(long newRecoveryTimeoutMs) {
        return new DestinationOptions(host, port, backendFactory, runAfterMs, timeoutMs, prefetchPages,
            pingIntervalMs, keepaliveTimeoutMs, newRecoveryTimeoutMs, vcpuAccessorDecorator);
    }

    /** Validates every range before anything starts. */
    public DestinationOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(backendFactory, "backendFactory");
        Objects.requireNonNull(vcpuAccessorDecorator, "vcpuAccessorDecorator");
        if (port < 1 || port > 65535) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "port=" + port + " (expected: 1..65535)");
        }
        if (prefetchPages < 0 || prefetchPages > 1024) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "prefetchPages=" + prefetchPages
                + " (expected: 0..1024)");
        }
        if (pingIntervalMs < 1 || keepaliveTimeoutMs <= pingIntervalMs) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "pingIntervalMs=" + pingIntervalMs
                + ", keepaliveTimeoutMs=" + keepaliveTimeoutMs + " (expected: pingIntervalMs >= 1, keepaliveTimeoutMs"
                + " > pingIntervalMs)");
        }
        if (recoveryTimeoutMs < 0) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "recoveryTimeoutMs=" + recoveryTimeoutMs
                + " (expected: >= 0, 0 = no recovery)");
        }
        if (runAfterMs < 0 || timeoutMs <= 0) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "runAfterMs=" + runAfterMs + ", timeoutMs="
                + timeoutMs + " (expected: runAfterMs >= 0, timeoutMs > 0)");
        }
    }

    /** The same settings with each vCPU's accessor wrapped by {@code decorator}. */
    public DestinationOptions withVcpuAccessorDecorator(VcpuAccessorDecorator decorator) {
        return new DestinationOptions(host, port, backendFactory, runAfterMs, timeoutMs, prefetchPages, pingIntervalMs,
            keepaliveTimeoutMs, recoveryTimeoutMs, decorator);
    }
}
