package io.postcopy.engine.device;

import io.micrometer.core.instrument.MeterRegistry;
import io.postcopy.engine.backend.GuestAccessor;
import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.function.Function;

/**
 * A simulated device with a VFIO v2 migration state machine: 32-bit MMIO registers for the guest, DMA into guest
 * memory through a {@link GuestAccessor} (which waits for a page that has not arrived yet), a {@link DirtyPageLog}
 * of the pages it writes, and its state streamed out through a {@link DeviceStateReader} on the source and in
 * through a {@link DeviceStateWriter} on the destination.
 *
 * <p>Guest MMIO is served only in RUNNING and PRE_COPY (see {@link DeviceMigrationState}); in every other state a
 * write is discarded and a read returns all ones ({@link #ALL_ONES}). DMA happens only in the running and P2P
 * states ({@link DeviceMigrationState#mayDma()}). Entering the saving group (PRE_COPY, PRE_COPY_P2P or STOP_COPY)
 * from outside it opens a save session and leaving the group ends it; STOP -> RESUMING opens a load session and
 * RESUMING -> STOP checks and loads the state, failing the arc (device to ERROR) if the stream was bad.
 *
 * <p>Thread-safe: one lock, the state machine's, guards the device's state. MMIO and DMA happen under it, so a
 * transition waits for an access in progress and no access sees a half-done arc. A DMA that waits for a missing
 * guest page holds the lock while it waits.
 */
public abstract class SimulatedDevice {
    /** What a read of a device that is not serving MMIO returns. */
    public static final int ALL_ONES = 0xFFFF_FFFF;

    private final String name;
    private final int deviceKind;
    private final GuestAccessor guest;
    private final DirtyPageLog dirtyLog;
    private final DeviceStateMachine machine;
    private StateSaveSession saveSession;
    private StateLoadSession loadSession;

    /**
     * @param name         names the device in logs and metrics
     * @param deviceKind   the kind byte of its state stream
     * @param capabilities optional migration features
     * @param guest        how the device reaches guest memory (a host accessor)
     * @param registry     where the device's state gauge goes
     */
    protected SimulatedDevice(String name, int deviceKind, MigrationCapabilities capabilities, GuestAccessor guest,
                              MeterRegistry registry) {
        this.name = Objects.requireNonNull(name, "name");
        this.deviceKind = deviceKind;
        this.guest = Objects.requireNonNull(guest, "guest");
        this.dirtyLog = new DirtyPageLog(guest.geometry());
        this.machine = new DeviceStateMachine(name, capabilities, new Arcs(), registry);
    }

    /** The device's name. */
    public final String name() {
        return name;
    }

    /** The device's migration state machine: request states and reset through it. */
    public final DeviceStateMachine migration() {
        return machine;
    }

    /** The log of guest pages the device has written by DMA. */
    public final DirtyPageLog dirtyLog() {
        return dirtyLog;
    }

    /**
     * A guest read of a 32-bit register, from a vCPU thread.
     *
     * @param registerOffset byte offset of the register in the device's MMIO window
     * @return the register's value, or {@link #ALL_ONES} while the device is not serving MMIO (or for an offset
     *         that names no register)
     */
    public final int mmioRead(int registerOffset) {
        return machine.withStateLocked(state -> state.servesGuestMmio() ? readRegister(registerOffset) : ALL_ONES);
    }

    /**
     * A guest write of a 32-bit register, from a vCPU thread; discarded while the device is not serving MMIO.
     *
     * @param registerOffset byte offset of the register in the device's MMIO window
     * @param value          the value written
     */
    public final void mmioWrite(int registerOffset, int value) {
        machine.withStateLocked(state -> {
            if (state.servesGuestMmio()) {
                writeRegister(registerOffset, value);
            }
            return null;
        });
    }

    /**
     * The save session opened by entering the saving group; valid until the device leaves it.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} if the device is not in a saving state
     */
    public final DeviceStateReader stateReader() {
        StateSaveSession session = machine.withStateLocked(state -> saveSession);
        if (session == null) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, name + " has no save session in state "
                + machine.state() + " (enter PRE_COPY or STOP_COPY first)");
        }
        return new DeviceStateReader() {
            @Override
            public int read(byte[] destination, int offset, int lengthInBytes) {
                Objects.checkFromIndexSize(offset, lengthInBytes, destination.length);
                return machine.withStateLocked(state -> session.read(destination, offset, lengthInBytes));
            }

            @Override
            public PreCopyInfo precopyInfo() {
                return machine.withStateLocked(state -> session.precopyInfo());
            }
        };
    }

    /**
     * The load session opened by STOP -> RESUMING; valid until the device leaves RESUMING.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} if the device is not in RESUMING
     */
    public final DeviceStateWriter stateWriter() {
        StateLoadSession session = machine.withStateLocked(state -> loadSession);
        if (session == null) {
            throw new PostcopyException(ErrorCode.DEVICE_STATE, name + " has no load session in state "
                + machine.state() + " (enter RESUMING first)");
        }
        return (source, offset, lengthInBytes) -> {
            Objects.checkFromIndexSize(offset, lengthInBytes, source.length);
            machine.withStateLocked(state -> {
                session.write(source, offset, lengthInBytes);
                return null;
            });
        };
    }

    /** A consistent copy of the device's migratable state; callable from any thread. */
    public final DeviceSnapshot snapshot() {
        return machine.withStateLocked(state -> snapshotLocked());
    }

    /** SHA-256 of the state image, the digest the state stream ends with. */
    public final byte[] stateDigest() {
        byte[] image = snapshot().encode();
        return StateStreamFormat.sha256(image, image.length);
    }

    /**
     * Runs {@code action} under the device's lock with the current migration state (for subclasses' own entry
     * points, such as a device agent's work or a frame arriving from the wire).
     */
    protected final <T> T locked(Function<DeviceMigrationState, T> action) {
        return machine.withStateLocked(action);
    }

    /**
     * DMA from the device into guest memory; logs the pages written. Call with the lock held, in a state where
     * {@link DeviceMigrationState#mayDma()}.
     */
    protected final void dmaToGuest(long guestOffset, byte[] source, int offset, int lengthInBytes) {
        guest.write(guestOffset, MemorySegment.ofArray(source).asSlice(offset, lengthInBytes), lengthInBytes);
        dirtyLog.markWritten(guestOffset, lengthInBytes);
    }

    /** DMA from guest memory into the device (not logged: only writes dirty pages). Call with the lock held. */
    protected final void dmaFromGuest(long guestOffset, byte[] destination, int offset, int lengthInBytes) {
        guest.read(guestOffset, MemorySegment.ofArray(destination).asSlice(offset, lengthInBytes), lengthInBytes);
    }

    /** True if {@code [guestOffset, guestOffset + lengthInBytes)} lies inside guest memory. */
    protected final boolean isGuestRange(long guestOffset, long lengthInBytes) {
        long guestLength = guest.geometry().lengthInBytes();
        return guestOffset >= 0 && lengthInBytes >= 0 && guestOffset <= guestLength - lengthInBytes;
    }

    /** Reads a register for the guest; called with the lock held while MMIO is served. */
    protected abstract int readRegister(int registerOffset);

    /** Writes a register for the guest; called with the lock held while MMIO is served. */
    protected abstract void writeRegister(int registerOffset, int value);

    /** Copies the migratable state; called with the lock held. */
    protected abstract DeviceSnapshot snapshotLocked();

    /**
     * Replaces the migratable state with a loaded image; called with the lock held on RESUMING -> STOP.
     *
     * @throws PostcopyException with {@code DEVICE_STATE} if the image does not fit this device
     */
    protected abstract void restoreLocked(byte[] image);

    /** Puts the registers in their power-on state (VFIO_DEVICE_RESET); called with the lock held. */
    protected abstract void resetLocked();

    private final class Arcs implements MigrationArcHandler {
        @Override
        public void onArc(DeviceMigrationState from, DeviceMigrationState to) {
            if (to.isSaving() && !from.isSaving()) {
                saveSession = new StateSaveSession(() -> snapshotLocked().encode(), deviceKind,
                    to == DeviceMigrationState.STOP_COPY);
            } else if (to == DeviceMigrationState.STOP_COPY) {
                saveSession.enterStopCopy();
            } else if (from.isSaving() && !to.isSaving()) {
                endSaveSession();
            }
            if (to == DeviceMigrationState.RESUMING) {
                loadSession = new StateLoadSession(deviceKind);
            } else if (from == DeviceMigrationState.RESUMING) {
                StateLoadSession session = loadSession;
                try {
                    restoreLocked(session.finish());
                } finally {
                    session.close();
                    loadSession = null;
                }
            }
        }

        @Override
        public void onReset(DeviceMigrationState from) {
            endSaveSession();
            if (loadSession != null) {
                loadSession.close();
                loadSession = null;
            }
            resetLocked();
        }

        private void endSaveSession() {
            if (saveSession != null) {
                saveSession.close();
                saveSession = null;
            }
        }
    }
}
