package io.twinplatform.command.job;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.job.CancelJob;
import io.twinplatform.api.job.CompleteJob;
import io.twinplatform.api.job.FailJob;
import io.twinplatform.api.job.JobCancelled;
import io.twinplatform.api.job.JobCompleted;
import io.twinplatform.api.job.JobFailed;
import io.twinplatform.api.job.JobScheduled;
import io.twinplatform.api.job.JobSpec;
import io.twinplatform.api.job.JobStarted;
import io.twinplatform.api.job.ScheduleJob;
import io.twinplatform.api.job.StartJob;
import io.twinplatform.api.twin.TwinId;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.hamcrest.Matcher;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static io.twinplatform.command.twin.Satisfies.satisfies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The job aggregate: the lifecycle it records, and every step out of order it refuses without recording anything. */
class JobTest {

    private static final String ID = "fw-rollout-1";
    private static final Instant START = Instant.parse("2026-11-24T03:00:00Z");

    private AggregateTestFixture<Job> fixture;

    @BeforeEach
    void fixture() {
        fixture = new AggregateTestFixture<>(Job.class);
    }

    @Test
    void aNewJobIsScheduledAsSpecified() {
        fixture.givenNoPriorActivity()
                .when(new ScheduleJob(spec()))
                .expectSuccessfulHandlerExecution()
                .expectEvents(scheduled());
    }

    @Test
    void aJobIdCanBeUsedOnlyOnce() {
        fixture.given(scheduled())
                .when(new ScheduleJob(spec()))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.CONFLICT, "jobExists"));
        fixture.given(scheduled(), new JobStarted(ID, 20), new JobCompleted(ID, 20, 20, 0))
                .when(new ScheduleJob(spec()))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.CONFLICT, "jobExists"));
    }

    @Test
    void startingRecordsHowManyTwinsWereSelected() {
        fixture.given(scheduled())
                .when(new StartJob(ID, 20))
                .expectEvents(new JobStarted(ID, 20));
    }

    @Test
    void startingARunningJobAgainRecordsNothing() {
        fixture.given(scheduled(), new JobStarted(ID, 20))
                .when(new StartJob(ID, 25))
                .expectSuccessfulHandlerExecution()
                .expectNoEvents();
    }

    @Test
    void completingRecordsTheFinalStatistics() {
        fixture.given(scheduled(), new JobStarted(ID, 20))
                .when(new CompleteJob(ID, 19, 1))
                .expectEvents(new JobCompleted(ID, 20, 19, 1));
    }

    @Test
    void onlyARunningJobCompletes() {
        fixture.given(scheduled())
                .when(new CompleteJob(ID, 0, 0))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.CONFLICT, "jobNotStarted"));
    }

    @Test
    void aScheduledOrRunningJobCanBeCancelled() {
        fixture.given(scheduled())
                .when(new CancelJob(ID))
                .expectEvents(new JobCancelled(ID));
        fixture.given(scheduled(), new JobStarted(ID, 20))
                .when(new CancelJob(ID))
                .expectEvents(new JobCancelled(ID));
    }

    @Test
    void aFinishedJobCannotBeCancelledStartedOrFinishedAgain() {
        JobCompleted completed = new JobCompleted(ID, 20, 20, 0);
        fixture.given(scheduled(), new JobStarted(ID, 20), completed)
                .when(new CancelJob(ID))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.CONFLICT, "jobFinished"));
        fixture.given(scheduled(), new JobCancelled(ID))
                .when(new StartJob(ID, 20))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.CONFLICT, "jobFinished"));
        fixture.given(scheduled(), new JobStarted(ID, 20), new JobCancelled(ID))
                .when(new CompleteJob(ID, 5, 0))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.CONFLICT, "jobFinished"));
        fixture.given(scheduled(), new JobStarted(ID, 20), new JobFailed(ID, "timed out", 20, 3, 0))
                .when(new CancelJob(ID))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.CONFLICT, "jobFinished"));
    }

    @Test
    void aJobThatRanOutOfTimeFailsWithHowFarItGot() {
        String reason = "maxExecutionTimeInSeconds (600) ran out at 2026-11-24T03:10:00Z after 7 of 20 twins";

        fixture.given(scheduled(), new JobStarted(ID, 20))
                .when(new FailJob(ID, reason, 6, 1))
                .expectEvents(new JobFailed(ID, reason, 20, 6, 1));
    }

    @Test
    void aJobThatNeverStartedCanFail() {
        fixture.given(scheduled())
                .when(new FailJob(ID, "it did not start before its maximum execution time", 0, 0))
                .expectEvents(new JobFailed(ID, "it did not start before its maximum execution time", 0, 0, 0));
    }

    @Test
    void commandsOnAnUnknownJobAreNotFound() {
        fixture.givenNoPriorActivity()
                .when(new CancelJob(ID))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.NOT_FOUND, "jobNotFound"));
        fixture.givenNoPriorActivity()
                .when(new StartJob(ID, 1))
                .expectNoEvents()
                .expectException(refusal(ErrorKind.NOT_FOUND, "jobNotFound"));
    }

    @Test
    void itsEventStoreIdentifierCanNeverBeATwinsId() {
        ScheduleJob schedule = new ScheduleJob(spec());

        assertThat(schedule.aggregateId()).isEqualTo("job#" + ID);
        assertThat(new CancelJob(ID).aggregateId()).isEqualTo(schedule.aggregateId());
        assertThat(new StartJob(ID, 0).aggregateId()).isEqualTo(schedule.aggregateId());
        assertThatThrownBy(() -> TwinId.parse(schedule.aggregateId())).isInstanceOf(TwinException.class);
    }

    private static JobSpec spec() {
        return new JobSpec(ID, JobSpec.SCHEDULE_UPDATE_TWIN, "tags.building='b1'", tags(), null, START, 600);
    }

    private static JobScheduled scheduled() {
        return new JobScheduled(ID, JobSpec.SCHEDULE_UPDATE_TWIN, "tags.building='b1'", tags(), null, START, 600);
    }

    private static ObjectNode tags() {
        return JsonNodeFactory.instance.objectNode().put("ring", "early");
    }

    private static Matcher<TwinException> refusal(ErrorKind kind, String code) {
        return satisfies(TwinException.class, "is a " + kind + " refusal " + code, e -> {
            assertThat(e.error().kind()).as("kind").isEqualTo(kind);
            assertThat(e.error().code()).as("code").isEqualTo(code);
        });
    }
}
