package io.postcopy.engine.machine;

/**
 * What a {@link GuestAgent} saw: the generation and disruption marker when it started, and those it found when
 * it last acknowledged a new generation.
 *
 * @param generationBefore       generation read from the counter page when the agent was created
 * @param generationAfter        the generation last acknowledged; equal to {@code generationBefore} if none yet
 * @param disruptionMarkerBefore the VM clock's marker when the agent was created
 * @param disruptionMarkerAfter  the marker read right after the last acknowledged generation was seen
 * @param acknowledgements       how many new generations the agent acknowledged
 */
public record AgentObservation(long generationBefore, long generationAfter, long disruptionMarkerBefore,
                               long disruptionMarkerAfter, int acknowledgements) {
    /** True once the agent has acknowledged a generation and seen the clock's marker change with it. */
    public boolean sawMigration() {
        return acknowledgements > 0 && generationAfter != generationBefore
            && disruptionMarkerAfter != disruptionMarkerBefore;
    }
}
