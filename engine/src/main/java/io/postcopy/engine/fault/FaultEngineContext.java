package io.postcopy.engine.fault;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.memory.MemoryGeometry;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Settings of a {@link FaultEngine}, validated before anything starts.
 *
 * @param geometry       guest memory shape
 * @param syncSlots      number of synchronous request slots: one per vCPU (and one per other thread that waits
 *                       through a slot); no default, the caller chooses
 * @param asyncCapacity  capacity of the async (prefetch, device read) request queue; no default
 * @param faultTimeoutNs how long a fault may wait for its page before it fails with {@code TIMEOUT}
 * @param registry       where counters and timers go
 * @param listener       observer of resolved faults
 * @param nanoClock      the clock for latencies and deadlines ({@code System::nanoTime} outside tests)
 * @param prefetchPages  pages after a faulting page to request too, through the async queue (0 = off), 0..1024
 */
public record FaultEngineContext(
    MemoryGeometry geometry,
    int syncSlots,
    int asyncCapacity,
    long faultTimeoutNs,
    MeterRegistry registry,
    FaultListener listener,
    LongSupplier nanoClock,
    int prefetchPages) {

    /** Validates; see the record's parameters. */
    public FaultEngineContext {
        Objects.requireNonNull(geometry, "geometry");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(nanoClock, "nanoClock");
        if (prefetchPages < 0 || prefetchPages > 1024) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "prefetchPages=" + prefetchPages + " (expected: 0..1024)");
        }
        if (faultTimeoutNs <= 0) {
            throw new PostcopyException(ErrorCode.INVALID_ARGUMENT,
                "faultTimeoutNs=" + faultTimeoutNs + " (expected: > 0)");
        }
    }

    /**
     * Context with a private registry, no listener, the system clock and a 30 s fault timeout.
     */
    public static FaultEngineContext of(MemoryGeometry geometry, int syncSlots, int asyncCapacity) {
        return new FaultEngineContext(geometry, syncSlots, asyncCapacity, 30_000_000_000L,
            new SimpleMeterRegistry(), FaultListener.NONE, System::nanoTime, 0);
    }

    /** The same settings with another registry. */
    public FaultEngineContext withRegistry(MeterRegistry newRegistry) {
        return new FaultEngineContext(geometry, syncSlots, asyncCapacity, faultTimeoutNs, newRegistry, listener,
            nanoClock, prefetchPages);
    }

    /** The same settings with another listener. */
    public FaultEngineContext withListener(FaultListener newListener) {
        return new FaultEngineContext(geometry, syncSlots, asyncCapacity, faultTimeoutNs, registry, newListener,
            nanoClock, prefetchPages);
    }

    /** The same settings with another fault timeout. */
    public FaultEngineContext withFaultTimeoutNs(long newFaultTimeoutNs) {
        return new FaultEngineContext(geometry, syncSlots, asyncCapacity, newFaultTimeoutNs, registry, listener,
            nanoClock, prefetchPages);
    }

    /** The same settings with prefetch of {@code pages} pages after each fault (0 = off). */
    public FaultEngineContext withPrefetchPages(int pages) {
        return new FaultEngineContext(geometry, syncSlots, asyncCapacity, faultTimeoutNs, registry, listener,
            nanoClock, pages);
    }
}
