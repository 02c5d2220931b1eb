package io.postcopy.engine.device;

/**
 * The destination side of a device's migration data session, opened by STOP -> RESUMING: the bytes read from a
 * source's {@link DeviceStateReader}, in order, in chunks of any size (segmentation need not be preserved). The
 * state is checked and loaded on RESUMING -> STOP; a stream found incomplete or corrupt there fails that arc
 * and the device goes to ERROR.
 *
 * <p>One thread writes a session at a time. A session ends when the device leaves RESUMING.
 */
public interface DeviceStateWriter {
    /**
     * Feeds the next bytes of the stream.
     *
     * @param source        the bytes
     * @param offset        index of the first byte
     * @param lengthInBytes number of bytes; zero or more
     * @throws io.postcopy.engine.error.PostcopyException with {@code DEVICE_STATE} if the bytes are not a valid
     *                                                    stream for this device, or the session has ended
     */
    void write(byte[] source, int offset, int lengthInBytes);
}
