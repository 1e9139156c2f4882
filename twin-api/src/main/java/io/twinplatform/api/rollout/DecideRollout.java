package io.twinplatform.api.rollout;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * Asks a rollout to take a decision: by its saga (start the next phase, fail, complete, finish a rollback) or by
 * hand (pause, resume, abort, roll back). A decision its state does not allow is 409 {@code invalidRolloutState}.
 *
 * @param phase for {@link Action#START_PHASE}, the phase to start; otherwise ignored
 */
public record DecideRollout(String rolloutId, Action action, int phase, String reason, boolean byHand) {

    public enum Action { START_PHASE, FAIL, PAUSE, RESUME, ABORT, ROLL_BACK, COMPLETE, FINISH_ROLLBACK }

    @TargetAggregateIdentifier
    public String aggregateId() {
        return RolloutEvent.aggregateId(rolloutId);
    }
}
