package io.postcopy.engine.device;

/**
 * How much PRE_COPY data a device has left to give ({@code struct vfio_precopy_info}). Estimates, in bytes of
 * device state (not of stream framing).
 *
 * @param initialBytes state never sent yet; starts non-zero and falls as it is read. Leave PRE_COPY for
 *                     STOP_COPY once this is zero.
 * @param dirtyBytes   state sent before and changed since; starts at zero, rises as the running device changes
 */
public record PreCopyInfo(long initialBytes, long dirtyBytes) {
}
