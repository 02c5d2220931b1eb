/**
 * The VM clock page, byte-compatible with Linux's {@code struct vmclock_abi}: its layout
 * ({@link io.postcopy.engine.vmclock.VmClockLayout}), the hypervisor-side writer with the seqlock protocol and
 * the disruption marker that changes on every migration ({@link io.postcopy.engine.vmclock.VmClockWriter}), and
 * the guest-side reader ({@link io.postcopy.engine.vmclock.VmClockReader}).
 */
package io.postcopy.engine.vmclock;
