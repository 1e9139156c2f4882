package io.twinplatform.api.rollout;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

import java.util.Map;

/**
 * The rollout monitor's latest counts of the rollout's twins; recorded only when they differ from the last ones, or
 * when {@code rearm} (the monitor's first look after a start, so the saga re-arms its timers).
 */
public record RecordRolloutObservation(String rolloutId, Map<Integer, PhaseCounts> phases, boolean rearm) {

    @TargetAggregateIdentifier
    public String aggregateId() {
        return RolloutEvent.aggregateId(rolloutId);
    }
}
