package io.postcopy.engine.machine;

/**
 * What {@link MachineIdentity#onResumed()} changed: the generation counter and the VM clock's disruption marker,
 * each before and after. Markers are u64 values carried in a {@code long} (compare them, do not order them).
 *
 * @param generationBefore       the generation the source's guest last saw (0..4294967295)
 * @param generationAfter        the new generation the destination's guest is told
 * @param disruptionMarkerBefore the source's disruption marker
 * @param disruptionMarkerAfter  the fresh marker written on resume; never equal to an earlier one
 */
public record IdentityChange(long generationBefore, long generationAfter, long disruptionMarkerBefore,
                             long disruptionMarkerAfter) {
}
