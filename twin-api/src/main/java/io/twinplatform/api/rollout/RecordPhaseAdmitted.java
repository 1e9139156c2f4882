package io.twinplatform.api.rollout;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Sent by the configuration applier once it has offered a rollout phase's twins their configuration. */
public record RecordPhaseAdmitted(String rolloutId, int phase, long twins) {

    @TargetAggregateIdentifier
    public String aggregateId() {
        return RolloutEvent.aggregateId(rolloutId);
    }
}
