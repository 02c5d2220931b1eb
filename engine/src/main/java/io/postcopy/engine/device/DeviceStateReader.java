package io.postcopy.engine.device;

/**
 * The source side of a device's migration data session (the VFIO {@code data_fd} opened by entering the saving
 * group): the device's state, streamed as opaque bytes that the peer feeds to a {@link DeviceStateWriter}.
 *
 * <p>In PRE_COPY and PRE_COPY_P2P the stream carries the initial state while the device runs, and parts of it
 * again when they change; when nothing is left to send for now, {@link #read} returns {@link #NO_DATA_YET} (the
 * kernel's ENOMSG, a temporary end of stream). In STOP_COPY it carries whatever changed since, then a final
 * record with the state's digest, then {@link #END_OF_STREAM} forever.
 *
 * <p>One thread reads a session at a time (the migration thread). A session ends when the device leaves the
 * saving group; reading an ended session fails with {@code DEVICE_STATE}.
 */
public interface DeviceStateReader {
    /** {@link #read} result: the whole state has been transferred (STOP_COPY only). */
    int END_OF_STREAM = -1;
    /** {@link #read} result: nothing to send right now, try again later (PRE_COPY states only). */
    int NO_DATA_YET = -2;

    /**
     * Copies the next bytes of the stream.
     *
     * @param destination   where to put them
     * @param offset        index of the first byte to fill
     * @param lengthInBytes at most this many bytes; positive
     * @return the number of bytes copied (positive), {@link #NO_DATA_YET} or {@link #END_OF_STREAM}
     * @throws io.postcopy.engine.error.PostcopyException with {@code DEVICE_STATE} if the session has ended
     */
    int read(byte[] destination, int offset, int lengthInBytes);

    /**
     * The PRE_COPY estimate ({@code VFIO_MIG_GET_PRECOPY_INFO}).
     *
     * @throws io.postcopy.engine.error.PostcopyException with {@code DEVICE_STATE} outside the PRE_COPY states
     */
    PreCopyInfo precopyInfo();
}
