package io.twinplatform.api.rollout;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Creates a rollout; 409 {@code rolloutExists} when the id is taken. */
public record StartRollout(String rolloutId, RolloutSpec spec, String successQuery) {

    @TargetAggregateIdentifier
    public String aggregateId() {
        return RolloutEvent.aggregateId(rolloutId);
    }
}
