package io.postcopy.engine.device;

/**
 * One queued block request, as the guest submitted it through the request registers.
 *
 * @param op           {@link BlockDevice#OP_READ} (disk to guest) or {@link BlockDevice#OP_WRITE} (guest to disk);
 *                     any other value completes with {@link BlockDevice#STATUS_BAD_REQUEST}
 * @param sector       first sector (unsigned 32-bit as the guest wrote it)
 * @param sectorCount  number of sectors (unsigned 32-bit as the guest wrote it)
 * @param guestAddress guest-physical address of the buffer
 */
public record BlockRequest(int op, long sector, long sectorCount, long guestAddress) {
}
