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
 * @param vcpuAccessorDecorator wraps each vCPU's accessor before the VM is built ({@link VcpuAccessorDecorator#NONE}
 *                         by default): how a bench paces or observes the guest without wrapping the backend
 */
public record DestinationOptions(String host, int port, Function<FaultEngineContext, FaultBackend> backendFactory,
                                 long runAfterMs, long timeoutMs, int prefetchPages,
                                 VcpuAccessorDecorator vcpuAccessorDecorator) {
    /** vCPU accessors as the backend makes them. */
    public DestinationOptions(String host, int port, Function<FaultEngineContext, FaultBackend> backendFactory,
                              long runAfterMs, long timeoutMs, int prefetchPages) {
        this(host, port, backendFactory, runAfterMs, timeoutMs, prefetchPages, VcpuAccessorDecorator.NONE);
    }

    /** Without prefetch around faults. */
    public DestinationOptions(String host, int port, Function<FaultEngineContext, FaultBackend> backendFactory,
                              long runAfterMs, long timeoutMs) {
        this(host, port, backendFactory, runAfterMs, timeoutMs, 0);
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
        if (runAfterMs < 0 || timeoutMs <= 0) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT, "runAfterMs=" + runAfterMs + ", timeoutMs="
                + timeoutMs + " (expected: runAfterMs >= 0, timeoutMs > 0)");
        }
    }

    /** The same settings with each vCPU's accessor wrapped by {@code decorator}. */
    public DestinationOptions withVcpuAccessorDecorator(VcpuAccessorDecorator decorator) {
        return new DestinationOptions(host, port, backendFactory, runAfterMs, timeoutMs, prefetchPages, decorator);
    }
}
