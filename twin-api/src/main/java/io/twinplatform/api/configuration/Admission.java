package io.twinplatform.api.configuration;

import io.twinplatform.api.rollout.PhaseMembership;

import java.util.List;

/**
 * Which of its targeted twins a staged configuration may set: those in the phases its rollout has reached
 * ({@code phase}, 0-based; -1 admits no twin). A configuration that is not staged has no admission (all its targeted
 * twins get its content).
 *
 * @param percents the rollout's cumulative phase shares, as {@link PhaseMembership} takes them
 */
public record Admission(String rolloutId, List<Double> percents, int phase) {

    public Admission {
        percents = percents == null ? List.of() : List.copyOf(percents);
    }

    /** A staged configuration that no rollout has admitted anywhere yet. */
    public static Admission none() {
        return new Admission(null, List.of(), -1);
    }

    /** The phase the twin belongs to in this admission's rollout, or -1 (no rollout, or no phase takes it). */
    public int phaseOf(String twinId) {
        if (rolloutId == null || percents.isEmpty()) {
            return -1;
        }
        return new PhaseMembership(rolloutId, percents).phaseOf(twinId);
    }

    public boolean admits(String twinId) {
        int own = phase < 0 ? -1 : phaseOf(twinId);
        return own >= 0 && own <= phase;
    }
}
