/**
 * What a migration carries besides memory and vCPUs: the VM's devices ({@link
 * io.postcopy.engine.machine.MachineDevices}, driven while the VM runs by a {@link
 * io.postcopy.engine.machine.DeviceDriver}, their state cut into {@link io.postcopy.engine.machine.DeviceChunk}s),
 * and what the guest is told about its identity and time ({@link io.postcopy.engine.machine.MachineIdentity}: the
 * generation counter and the VM clock page; {@link io.postcopy.engine.machine.GuestAgent}: the guest's view of
 * them). {@link io.postcopy.engine.machine.MachineReport} sums up what arrived and whether it was verified.
 */
package io.postcopy.engine.machine;
