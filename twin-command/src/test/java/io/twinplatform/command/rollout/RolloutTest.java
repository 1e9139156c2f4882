package io.twinplatform.command.rollout;

import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.rollout.DecideRollout;
import io.twinplatform.api.rollout.PhaseCounts;
import io.twinplatform.api.rollout.RecordPhaseAdmitted;
import io.twinplatform.api.rollout.RecordRolloutObservation;
import io.twinplatform.api.rollout.RolloutDecided;
import io.twinplatform.api.rollout.RolloutObserved;
import io.twinplatform.api.rollout.RolloutPhaseAdmitted;
import io.twinplatform.api.rollout.RolloutSpec;
import io.twinplatform.api.rollout.StartRollout;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.twinplatform.command.rollout.RolloutSagaTest.started;

/** The rollout's state machine: which decisions each status allows, and what each records. */
class RolloutTest {

    private static final String ID = "firmware-2-5";

    private AggregateTestFixture<Rollout> fixture;

    @BeforeEach
    void fixture() {
        fixture = new AggregateTestFixture<>(Rollout.class);
    }

    private static DecideRollout decide(DecideRollout.Action action, int phase, boolean byHand) {
        return new DecideRollout(ID, action, phase, "why", byHand);
    }

    private static RolloutDecided decided(String decision, String status, int phase, long version, boolean byHand) {
        return new RolloutDecided(ID, decision, status, phase, "why", byHand, version);
    }

    @Test
    void aRolloutStartsRunningAndItsIdCannotBeTakenTwice() {
        fixture.givenNoPriorActivity()
                .when(new StartRollout(ID, RolloutSagaTest.spec(RolloutSpec.OnFailure.ROLLBACK), "q"))
                .expectEvents(new io.twinplatform.api.rollout.RolloutStarted(ID,
                        RolloutSagaTest.spec(RolloutSpec.OnFailure.ROLLBACK), "q", 1));
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK))
                .when(new StartRollout(ID, RolloutSagaTest.spec(RolloutSpec.OnFailure.ROLLBACK), "q"))
                .expectException(TwinException.class);
    }

    @Test
    void phasesStartInOrderOnly() {
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK))
                .when(decide(DecideRollout.Action.START_PHASE, 0, false))
                .expectEvents(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0, 2, false));
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK))
                .when(decide(DecideRollout.Action.START_PHASE, 1, false))
                .expectException(TwinException.class)
                .expectNoEvents();
    }

    @Test
    void aFailurePausesOrRollsBackAsTheRolloutSays() {
        fixture.given(started(RolloutSpec.OnFailure.PAUSE), decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0,
                        2, false))
                .when(decide(DecideRollout.Action.FAIL, 0, false))
                .expectEvents(decided(RolloutDecided.PAUSED, Rollout.PAUSED, 0, 3, false));
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK), decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING,
                        0, 2, false))
                .when(decide(DecideRollout.Action.FAIL, 0, false))
                .expectEvents(decided(RolloutDecided.ROLLBACK_STARTED, Rollout.ROLLING_BACK, 0, 3, false));
    }

    @Test
    void handDecisionsFollowTheStatus() {
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK), decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING,
                        0, 2, false))
                .when(decide(DecideRollout.Action.RESUME, -1, true))
                .expectException(TwinException.class);
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK), decided(RolloutDecided.PAUSED, Rollout.PAUSED, 0, 2,
                        true))
                .when(decide(DecideRollout.Action.RESUME, -1, true))
                .expectEvents(decided(RolloutDecided.RESUMED, Rollout.RUNNING, 0, 3, true));
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK), decided(RolloutDecided.ABORTED, Rollout.ABORTED, 0, 2,
                        true))
                .when(decide(DecideRollout.Action.ROLL_BACK, -1, true))
                .expectException(TwinException.class);
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK), decided(RolloutDecided.COMPLETED, Rollout.COMPLETED, 2,
                        2, false))
                .when(decide(DecideRollout.Action.ROLL_BACK, -1, true))
                .expectEvents(decided(RolloutDecided.ROLLBACK_STARTED, Rollout.ROLLING_BACK, 2, 3, true));
    }

    @Test
    void onlyTheLastPhaseCompletes() {
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK), decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING,
                        1, 2, false))
                .when(decide(DecideRollout.Action.COMPLETE, 1, false))
                .expectException(TwinException.class);
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK), decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING,
                        2, 2, false))
                .when(decide(DecideRollout.Action.COMPLETE, 2, false))
                .expectEvents(decided(RolloutDecided.COMPLETED, Rollout.COMPLETED, 2, 3, false));
    }

    @Test
    void observationsAreRecordedWhenTheyChangeOrToRearm() {
        Map<Integer, PhaseCounts> counts = Map.of(0, new PhaseCounts(5, 5, 4, 0));
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK), new RolloutObserved(ID, -1, counts, 2))
                .when(new RecordRolloutObservation(ID, counts, false))
                .expectNoEvents();
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK), new RolloutObserved(ID, -1, counts, 2))
                .when(new RecordRolloutObservation(ID, counts, true))
                .expectEvents(new RolloutObserved(ID, -1, counts, 3));
    }

    @Test
    void aPhasesAdmissionIsRecordedOnlyForThePhaseTheRolloutIsIn() {
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK), decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING,
                        1, 2, false))
                .when(new RecordPhaseAdmitted(ID, 1, 25))
                .expectEvents(new RolloutPhaseAdmitted(ID, 1, 25, 3));
        fixture.given(started(RolloutSpec.OnFailure.ROLLBACK), decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING,
                        1, 2, false))
                .when(new RecordPhaseAdmitted(ID, 0, 5))
                .expectNoEvents();
    }

    @Test
    void anUnknownRolloutIsNotFound() {
        fixture.givenNoPriorActivity()
                .when(decide(DecideRollout.Action.PAUSE, -1, true))
                .expectException(TwinException.class)
                .expectNoEvents();
    }
}
