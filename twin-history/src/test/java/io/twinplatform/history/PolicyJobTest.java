package io.twinplatform.history;

import io.twinplatform.history.PolicyJob.State;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a TimescaleDB policy job is judged from its row in {@code job_stats}: failed when its last run failed, stale
 * when it has not succeeded for two intervals (or, never having succeeded, two intervals after the platform first saw
 * it), ok otherwise.
 */
class PolicyJobTest {

    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final Duration DAY = Duration.ofDays(1);

    @Test
    void aJobWhoseLastRunFailedIsFailedEvenRightAfterASuccess() {
        PolicyJob job = job(true, "Failed", NOW.minusSeconds(60), 1);

        assertThat(job.state(NOW, NOW.minus(Duration.ofDays(30)))).isEqualTo(State.FAILED);
    }

    @Test
    void aJobThatSucceededWithinTwoIntervalsIsOk() {
        PolicyJob job = job(true, "Success", NOW.minus(DAY.multipliedBy(2)), 4);

        assertThat(job.state(NOW, NOW.minus(Duration.ofDays(30)))).isEqualTo(State.OK);
    }

    @Test
    void aJobWhoseLastSuccessIsOlderThanTwoIntervalsIsStale() {
        PolicyJob job = job(true, "Success", NOW.minus(DAY.multipliedBy(2)).minusSeconds(1), 0);

        assertThat(job.state(NOW, NOW.minus(Duration.ofDays(30)))).isEqualTo(State.STALE);
    }

    @Test
    void aPausedJobStaysOkUntilItsLastSuccessIsTwoIntervalsOld() {
        PolicyJob paused = job(false, "Success", NOW.minus(Duration.ofHours(30)), 0);

        assertThat(paused.state(NOW, NOW.minus(Duration.ofDays(30)))).isEqualTo(State.OK);
        assertThat(paused.state(NOW.plus(Duration.ofHours(19)), NOW.minus(Duration.ofDays(30))))
                .isEqualTo(State.STALE);
    }

    @Test
    void aJobThatNeverRanIsGivenTwoIntervalsFromWhenItWasFirstSeen() {
        PolicyJob never = job(true, null, null, 0);

        assertThat(never.state(NOW, NOW.minus(DAY))).isEqualTo(State.OK);
        assertThat(never.state(NOW, NOW.minus(DAY.multipliedBy(2)))).isEqualTo(State.OK);
        assertThat(never.state(NOW, NOW.minus(DAY.multipliedBy(2)).minusSeconds(1))).isEqualTo(State.STALE);
    }

    @Test
    void tagsAreTheMetersWords() {
        assertThat(PolicyJob.Kind.ofProcedure("policy_refresh_continuous_aggregate").tag()).isEqualTo("refresh");
        assertThat(PolicyJob.Kind.ofProcedure("policy_retention").tag()).isEqualTo("retention");
        assertThat(State.STALE.tag()).isEqualTo("stale");
    }

    private static PolicyJob job(boolean scheduled, String lastRun, Instant lastSuccess, long failures) {
        return new PolicyJob("telemetry", PolicyJob.Kind.RETENTION, 1000, "telemetry", DAY, scheduled, lastRun,
                lastSuccess, failures);
    }
}
