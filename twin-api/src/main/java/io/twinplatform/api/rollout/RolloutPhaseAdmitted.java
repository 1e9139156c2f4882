package io.twinplatform.api.rollout;

import org.axonframework.serialization.Revision;

/**
 * The configuration applier has offered a phase's twins the configuration: {@code twins} of them show it from this
 * rollout, in this phase and the earlier ones. Until the monitor counts at least that many, a phase's success is not
 * judged (the fleet query side may not show them all yet, and an empty count would read as success).
 */
@Revision("1")
public record RolloutPhaseAdmitted(String rolloutId, int phase, long twins, long version) implements RolloutEvent {
}
