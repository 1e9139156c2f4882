package io.twinplatform.api.rollout;

import org.axonframework.serialization.Revision;

/**
 * One decision in a rollout's life, by the rollout itself or by hand ({@code byHand}), with its reason: a phase
 * started, paused, resumed, aborted, rollback started, rolled back, completed. {@code status} is the rollout's
 * status after it, {@code phase} its current phase (0-based).
 */
@Revision("1")
public record RolloutDecided(String rolloutId, String decision, String status, int phase, String reason,
                             boolean byHand, long version) implements RolloutEvent {

    public static final String PHASE_STARTED = "phaseStarted";
    public static final String PAUSED = "paused";
    public static final String RESUMED = "resumed";
    public static final String ABORTED = "aborted";
    public static final String ROLLBACK_STARTED = "rollbackStarted";
    public static final String ROLLED_BACK = "rolledBack";
    public static final String COMPLETED = "completed";
}
