package io.postcopy.engine.machine;

import java.util.List;
import java.util.Objects;

/**
 * What the migration report says about the machine besides memory: shaped for the JSON report as
 * {@code {"generation": {"before", "after", "watchersAcknowledged"}, "vmclock": {"disruptionMarkerBefore",
 * "disruptionMarkerAfter"}, "devices": [{"name", "verified"}]}}.
 *
 * @param generation the generation counter across the migration
 * @param vmclock    the VM clock's disruption marker across the migration
 * @param devices    one entry per device, in the VM's device order
 */
public record MachineReport(GenerationReport generation, VmClockReport vmclock, List<DeviceVerification> devices) {
    /** Copies the device list. */
    public MachineReport {
        Objects.requireNonNull(generation, "generation");
        Objects.requireNonNull(vmclock, "vmclock");
        devices = List.copyOf(devices);
    }

    /**
     * The report of one resume.
     *
     * @param change               what {@link MachineIdentity#onResumed()} returned
     * @param watchersAcknowledged what {@link MachineIdentity#awaitAcknowledged} returned
     * @param devices              what {@link MachineDevices#finishResume()} returned
     */
    public static MachineReport of(IdentityChange change, int watchersAcknowledged, List<DeviceVerification> devices) {
        return new MachineReport(
            new GenerationReport(change.generationBefore(), change.generationAfter(), watchersAcknowledged),
            new VmClockReport(change.disruptionMarkerBefore(), change.disruptionMarkerAfter()), devices);
    }

    /**
     * True if every device was verified, the generation changed, the marker changed, and at least one guest
     * watcher acknowledged the new generation.
     */
    public boolean passed() {
        return devices.stream().allMatch(DeviceVerification::verified) && generation.after() != generation.before()
            && generation.watchersAcknowledged() > 0
            && vmclock.disruptionMarkerAfter() != vmclock.disruptionMarkerBefore();
    }

    /**
     * The generation counter across the migration.
     *
     * @param before               the source's generation
     * @param after                the generation the destination's guest was told
     * @param watchersAcknowledged guest watchers that acknowledged {@code after} before the deadline
     */
    public record GenerationReport(long before, long after, int watchersAcknowledged) {
    }

    /**
     * The VM clock's disruption marker across the migration (u64 values in a {@code long}).
     *
     * @param disruptionMarkerBefore the source's marker
     * @param disruptionMarkerAfter  the marker written on resume
     */
    public record VmClockReport(long disruptionMarkerBefore, long disruptionMarkerAfter) {
    }
}
