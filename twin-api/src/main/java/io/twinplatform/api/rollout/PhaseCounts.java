package io.twinplatform.api.rollout;

import java.util.Collection;

/** A rollout phase's twins: admitted ({@code targeted}), applied, meeting the success metric, and failed. */
public record PhaseCounts(long targeted, long applied, long succeeded, long failed) {

    public static PhaseCounts sum(Collection<PhaseCounts> counts) {
        return new PhaseCounts(counts.stream().mapToLong(PhaseCounts::targeted).sum(),
                counts.stream().mapToLong(PhaseCounts::applied).sum(),
                counts.stream().mapToLong(PhaseCounts::succeeded).sum(),
                counts.stream().mapToLong(PhaseCounts::failed).sum());
    }

    /** {@code part} as a percentage of the targeted twins; 100 when there are none (nothing can fail). */
    public double percent(long part) {
        return targeted == 0 ? 100 : 100.0 * part / targeted;
    }
}
