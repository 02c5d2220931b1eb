package io.postcopy.engine.backend;

import io.postcopy.engine.fault.FaultEngine;

/**
 * Wraps the accessor a destination vCPU uses, without touching the fault backend: the hook for observing or
 * pacing the guest (the bench's paced vCPUs, tests that count accesses). Whatever it returns must keep the
 * {@link GuestAccessor} contract and forward every access to {@code accessor} (it may add waits and
 * measurements around them, never change what is read or written).
 *
 * <p>Called once per vCPU, by the thread that builds the destination's VM, before any vCPU runs. The returned
 * accessor is then used by that vCPU's thread only, as {@link FaultBackend#vcpuAccessor(int)} says.
 */
@FunctionalInterface
public interface VcpuAccessorDecorator {
    /** Leaves every accessor as the backend made it. */
    VcpuAccessorDecorator NONE = (vcpuId, accessor, engine) -> accessor;

    /**
     * @param vcpuId   the vCPU, 0 &lt;= vcpuId &lt; {@code engine.syncSlots()}
     * @param accessor the backend's accessor for that vCPU (the whole of guest memory)
     * @param engine   the backend's fault engine, for reading page state ({@link FaultEngine#isCached}); never
     *                 for installing or requesting pages
     * @return the accessor the vCPU will use
     */
    GuestAccessor decorate(int vcpuId, GuestAccessor accessor, FaultEngine engine);
}
