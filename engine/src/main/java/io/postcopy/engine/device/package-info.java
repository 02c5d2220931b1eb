/**
 * Devices and their migration: the Linux VFIO v2 device migration state machine ({@link
 * io.postcopy.engine.device.DeviceStateMachine}, {@link io.postcopy.engine.device.MigrationArcs}), simulated
 * devices that DMA into guest memory and log the pages they dirty ({@link io.postcopy.engine.device.BlockDevice},
 * {@link io.postcopy.engine.device.NetDevice}, {@link io.postcopy.engine.device.DirtyPageLog}), and the stream in
 * which a device's state travels from the source ({@link io.postcopy.engine.device.DeviceStateReader}) to the
 * destination ({@link io.postcopy.engine.device.DeviceStateWriter}).
 */
package io.postcopy.engine.device;
