package io.twinplatform.command.rollout;

import io.twinplatform.api.configuration.AdmitConfiguration;
import io.twinplatform.api.configuration.Admission;
import io.twinplatform.api.rollout.DecideRollout;
import io.twinplatform.api.rollout.PhaseCounts;
import io.twinplatform.api.rollout.RolloutDecided;
import io.twinplatform.api.rollout.RolloutObserved;
import io.twinplatform.api.rollout.RolloutPhaseAdmitted;
import io.twinplatform.api.rollout.RolloutSpec;
import io.twinplatform.api.rollout.RolloutStarted;
import org.axonframework.commandhandling.gateway.DefaultCommandGateway;
import org.axonframework.test.saga.SagaTestFixture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Every transition of the rollout saga, with time moved on by the fixture: phases start and admit their twins,
 * success must hold for the soak time, failure pauses or rolls back, a phase times out, hand decisions stop and
 * restart the timers, and a rollback ends once no twin shows the configuration.
 */
class RolloutSagaTest {

    private static final String ID = "firmware-2-5";
    private static final String CONFIGURATION = "firmware";
    private static final List<Double> PERCENTS = List.of(5.0, 25.0, 100.0);
    /** Whole milliseconds: event timestamps are kept to the millisecond, the fixture's clock is not. */
    private static final Instant T0 = Instant.parse("2026-11-24T08:00:00Z");

    private SagaTestFixture<RolloutSaga> fixture;

    @BeforeEach
    void fixture() {
        fixture = new SagaTestFixture<>(RolloutSaga.class);
        fixture.registerResource(DefaultCommandGateway.builder().commandBus(fixture.getCommandBus()).build());
    }

    static RolloutSpec spec(RolloutSpec.OnFailure onFailure) {
        return new RolloutSpec(CONFIGURATION, List.of(new RolloutSpec.Phase("canary", 5), new RolloutSpec.Phase(
                "phase-2", 25), new RolloutSpec.Phase("phase-3", 100)), new RolloutSpec.Success("compliant", 95, 600),
                new RolloutSpec.Failure("properties.reported.firmware.state = 'Error'", 2), onFailure, 3600);
    }

    static RolloutStarted started(RolloutSpec.OnFailure onFailure) {
        return new RolloutStarted(ID, spec(onFailure), "SELECT deviceId FROM devices WHERE x = 1", 1);
    }

    static RolloutDecided decided(String decision, String status, int phase) {
        return new RolloutDecided(ID, decision, status, phase, "because", false, 2);
    }

    /** Counts for phase 0 only (later phases not admitted yet). */
    static RolloutObserved observed(long targeted, long succeeded, long failed) {
        return new RolloutObserved(ID, 0, Map.of(0, new PhaseCounts(targeted, targeted, succeeded, failed),
                1, new PhaseCounts(0, 0, 0, 0), 2, new PhaseCounts(0, 0, 0, 0)), 3);
    }

    static RolloutPhaseAdmitted admitted(int phase, long twins) {
        return new RolloutPhaseAdmitted(ID, phase, twins, 3);
    }

    static DecideRollout decide(DecideRollout.Action action, int phase) {
        return new DecideRollout(ID, action, phase, null, false);
    }

    @Test
    void aStartedRolloutStartsItsFirstPhase() {
        fixture.givenNoPriorActivity()
                .whenPublishingA(started(RolloutSpec.OnFailure.ROLLBACK))
                .expectActiveSagas(1)
                .expectDispatchedCommandsMatching(commandsAre(
                        new DecideRollout(ID, DecideRollout.Action.START_PHASE, 0, "rollout started", false)));
    }

    @Test
    void aStartedPhaseAdmitsItsTwinsAndSetsTheTimeout() {
        fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                .whenPublishingA(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                .expectDispatchedCommands(new AdmitConfiguration(CONFIGURATION, new Admission(ID, PERCENTS, 0), false,
                        null))
                .expectScheduledDeadlineWithName(Duration.ofSeconds(3600), RolloutSaga.PHASE_TIMED_OUT);
    }

    @Nested
    class Success {

        @Test
        void successStartsTheSoakAndNothingIsDecidedBeforeItEnds() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .andThenAPublished(admitted(0, 10))
                    .whenPublishingA(observed(10, 10, 0))
                    .expectNoDispatchedCommands()
                    .expectScheduledDeadlineWithName(Duration.ofSeconds(600), RolloutSaga.SOAK_ENDED);
        }

        @Test
        void successIsNotJudgedBeforeThePhaseIsAdmittedNorOnAPartialCount() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .andThenAPublished(observed(0, 0, 0))
                    .andThenAPublished(admitted(0, 10))
                    .whenPublishingA(observed(6, 6, 0))
                    .expectNoDispatchedCommands()
                    .expectNoScheduledDeadlineWithName(fixture.currentTime(),
                            fixture.currentTime().plus(Duration.ofDays(1)), RolloutSaga.SOAK_ENDED);
        }

        @Test
        void successHeldForTheSoakStartsTheNextPhase() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .andThenAPublished(admitted(0, 10))
                    .andThenAPublished(observed(10, 10, 0))
                    .whenTimeElapses(Duration.ofSeconds(601))
                    .expectDeadlinesMet(new RolloutSaga.PhaseDeadline(0))
                    .expectDispatchedCommandsMatching(actionIs(DecideRollout.Action.START_PHASE, 1));
        }

        @Test
        void successThatLapsesDuringTheSoakStartsNothing() throws Exception {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .andThenAPublished(admitted(0, 10))
                    .andThenAPublished(observed(10, 10, 0))
                    .andThenTimeElapses(Duration.ofSeconds(300))
                    .andThenAPublished(observed(10, 9, 0))
                    .whenTimeElapses(Duration.ofSeconds(400))
                    .expectNoDispatchedCommands()
                    .expectNoScheduledDeadlineWithName(fixture.currentTime(),
                            fixture.currentTime().plus(Duration.ofDays(1)), RolloutSaga.SOAK_ENDED);
        }

        @Test
        void successInTheLastPhaseCompletesTheRollout() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 2))
                    .andThenAPublished(admitted(2, 100))
                    .andThenAPublished(new RolloutObserved(ID, 2, Map.of(0, new PhaseCounts(5, 5, 5, 0),
                            1, new PhaseCounts(20, 20, 20, 0), 2, new PhaseCounts(75, 75, 72, 0)), 4))
                    .whenTimeElapses(Duration.ofSeconds(600))
                    .expectDispatchedCommandsMatching(actionIs(DecideRollout.Action.COMPLETE, 2));
        }
    }

    @Nested
    class Failure {

        @Test
        void failuresPastTheThresholdFailTheRolloutAtOnce() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .whenPublishingA(observed(100, 90, 3))
                    .expectDispatchedCommandsMatching(actionIs(DecideRollout.Action.FAIL, 0));
        }

        @Test
        void failuresAtTheThresholdDoNot() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .whenPublishingA(observed(100, 50, 2))
                    .expectNoDispatchedCommands();
        }

        @Test
        void aPhaseThatDoesNotSucceedInTimeFails() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.PAUSE))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .andThenAPublished(observed(10, 5, 0))
                    .whenTimeElapses(Duration.ofSeconds(3601))
                    .expectDeadlinesMet(new RolloutSaga.PhaseDeadline(0))
                    .expectDispatchedCommandsMatching(actionIs(DecideRollout.Action.FAIL, 0));
        }

        @Test
        void aRollbackTakesTheConfigurationBackFromTheRolloutsTwins() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .whenPublishingA(decided(RolloutDecided.ROLLBACK_STARTED, Rollout.ROLLING_BACK, 0))
                    .expectDispatchedCommands(new AdmitConfiguration(CONFIGURATION, new Admission(ID, PERCENTS, -1),
                            true, null))
                    .expectNoScheduledDeadlines();
        }

        @Test
        void aRollbackEndsWhenNoTwinShowsTheConfiguration() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .andThenAPublished(decided(RolloutDecided.ROLLBACK_STARTED, Rollout.ROLLING_BACK, 0))
                    .andThenAPublished(observed(4, 0, 4))
                    .whenPublishingA(observed(0, 0, 0))
                    .expectDispatchedCommandsMatching(actionIs(DecideRollout.Action.FINISH_ROLLBACK, 0));
        }

        @Test
        void aRolledBackRolloutsSagaEnds() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.ROLLBACK_STARTED, Rollout.ROLLING_BACK, 0))
                    .whenPublishingA(decided(RolloutDecided.ROLLED_BACK, Rollout.ROLLED_BACK, 0))
                    .expectActiveSagas(0);
        }
    }

    @Nested
    class ByHand {

        @Test
        void aPauseStopsTheTimersAndTheSoak() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .andThenAPublished(admitted(0, 10))
                    .andThenAPublished(observed(10, 10, 0))
                    .andThenAPublished(decided(RolloutDecided.PAUSED, Rollout.PAUSED, 0))
                    .whenTimeElapses(Duration.ofHours(2))
                    .expectNoDispatchedCommands()
                    .expectNoScheduledDeadlines();
        }

        @Test
        void observationsWhilePausedDecideNothing() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .andThenAPublished(decided(RolloutDecided.PAUSED, Rollout.PAUSED, 0))
                    .whenPublishingA(observed(10, 0, 10))
                    .expectNoDispatchedCommands();
        }

        @Test
        void aResumeRestartsThePhaseClockAndTheSoakFromTheLastCounts() throws Exception {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .andThenAPublished(admitted(0, 10))
                    .andThenAPublished(observed(10, 10, 0))
                    .andThenAPublished(decided(RolloutDecided.PAUSED, Rollout.PAUSED, 0))
                    .andThenTimeElapses(Duration.ofHours(5))
                    .whenPublishingA(decided(RolloutDecided.RESUMED, Rollout.RUNNING, 0))
                    .expectNoDispatchedCommands()
                    .expectScheduledDeadlineWithName(Duration.ofSeconds(600), RolloutSaga.SOAK_ENDED)
                    .expectScheduledDeadlineWithName(Duration.ofSeconds(3600), RolloutSaga.PHASE_TIMED_OUT);
        }

        @Test
        void anAbortEndsTheSagaAndLeavesTheTwinsAlone() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 0))
                    .whenPublishingA(decided(RolloutDecided.ABORTED, Rollout.ABORTED, 0))
                    .expectActiveSagas(0)
                    .expectNoDispatchedCommands()
                    .expectNoScheduledDeadlines();
        }

        @Test
        void aCompletedRolloutCanStillBeRolledBackByHand() {
            fixture.givenCurrentTime(T0).andThenAPublished(started(RolloutSpec.OnFailure.ROLLBACK))
                    .andThenAPublished(decided(RolloutDecided.PHASE_STARTED, Rollout.RUNNING, 2))
                    .andThenAPublished(decided(RolloutDecided.COMPLETED, Rollout.COMPLETED, 2))
                    .whenPublishingA(new RolloutDecided(ID, RolloutDecided.ROLLBACK_STARTED, Rollout.ROLLING_BACK, 2,
                            "bad batch found in the field", true, 9))
                    .expectActiveSagas(1)
                    .expectDispatchedCommands(new AdmitConfiguration(CONFIGURATION, new Admission(ID, PERCENTS, -1),
                            true, null));
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static org.hamcrest.Matcher<List<? super org.axonframework.commandhandling.CommandMessage<?>>> commandsAre(
            DecideRollout expected) {
        return (org.hamcrest.Matcher) org.axonframework.test.matchers.Matchers.exactSequenceOf(
                org.axonframework.test.matchers.Matchers.messageWithPayload(
                        org.hamcrest.CoreMatchers.equalTo(expected)),
                org.axonframework.test.matchers.Matchers.andNoMore());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static org.hamcrest.Matcher<List<? super org.axonframework.commandhandling.CommandMessage<?>>> actionIs(
            DecideRollout.Action action, int phase) {
        return (org.hamcrest.Matcher) org.axonframework.test.matchers.Matchers.exactSequenceOf(
                org.axonframework.test.matchers.Matchers.messageWithPayload(new org.hamcrest.TypeSafeMatcher<>() {
                    @Override
                    protected boolean matchesSafely(Object item) {
                        return item instanceof DecideRollout d && d.action() == action && d.phase() == phase
                                && d.reason() != null && !d.byHand();
                    }

                    @Override
                    public void describeTo(org.hamcrest.Description description) {
                        description.appendText(action + " of phase " + phase + " with a reason");
                    }
                }),
                org.axonframework.test.matchers.Matchers.andNoMore());
    }
}
