package io.twinplatform.command.job;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.job.CancelJob;
import io.twinplatform.api.job.CompleteJob;
import io.twinplatform.api.job.FailJob;
import io.twinplatform.api.job.JobCancelled;
import io.twinplatform.api.job.JobCompleted;
import io.twinplatform.api.job.JobEvent;
import io.twinplatform.api.job.JobFailed;
import io.twinplatform.api.job.JobScheduled;
import io.twinplatform.api.job.JobSpec;
import io.twinplatform.api.job.JobStarted;
import io.twinplatform.api.job.ScheduleJob;
import io.twinplatform.api.job.StartJob;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.modelling.command.AggregateCreationPolicy;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.modelling.command.CreationPolicy;
import org.axonframework.spring.stereotype.Aggregate;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

/**
 * One bulk twin update job. It decides the job's lifecycle only: scheduled, running, then completed, failed or
 * cancelled, each finish final. Which twins it touches and how fast is the runner's business; the per-twin effect
 * is each twin's own event, never an event here. Times come in with the commands' messages, never from a clock.
 */
@Aggregate
public class Job {

    private enum Stage { SCHEDULED, RUNNING, FINISHED }

    @AggregateIdentifier
    private String aggregateId;
    private String jobId;
    private Stage stage;
    private int deviceCount;

    protected Job() {
    }

    /**
     * Accepts the job. {@code CREATE_IF_MISSING} so that a second job of the same id reaches this handler and is
     * refused as a conflict (Azure: a job cannot be changed) instead of failing in the repository.
     */
    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public void handle(ScheduleJob command) {
        JobSpec spec = command.spec();
        if (stage != null) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "jobExists", "job " + spec.jobId()
                    + " exists; a job cannot be changed: give a new job its own id"));
        }
        apply(new JobScheduled(spec.jobId(), spec.type(), spec.queryCondition(), spec.tags(), spec.desired(),
                spec.startTime(), spec.maxExecutionTimeInSeconds()));
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public void handle(StartJob command) {
        requireUnfinished(command.jobId());
        if (stage == Stage.SCHEDULED) {
            apply(new JobStarted(jobId, command.deviceCount()));
        }
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public void handle(CompleteJob command) {
        requireUnfinished(command.jobId());
        if (stage != Stage.RUNNING) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "jobNotStarted", "job " + jobId
                    + " has not started, so it cannot complete"));
        }
        apply(new JobCompleted(jobId, command.succeededCount() + command.failedCount(), command.succeededCount(),
                command.failedCount()));
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public void handle(FailJob command) {
        requireUnfinished(command.jobId());
        int tried = command.succeededCount() + command.failedCount();
        apply(new JobFailed(jobId, command.failureReason(), Math.max(deviceCount, tried), command.succeededCount(),
                command.failedCount()));
    }

    @CommandHandler
    @CreationPolicy(AggregateCreationPolicy.CREATE_IF_MISSING)
    public void handle(CancelJob command) {
        requireUnfinished(command.jobId());
        apply(new JobCancelled(jobId));
    }

    @EventSourcingHandler
    void on(JobScheduled event) {
        aggregateId = JobEvent.aggregateId(event.jobId());
        jobId = event.jobId();
        stage = Stage.SCHEDULED;
    }

    @EventSourcingHandler
    void on(JobStarted event) {
        stage = Stage.RUNNING;
        deviceCount = event.deviceCount();
    }

    @EventSourcingHandler
    void on(JobCompleted event) {
        stage = Stage.FINISHED;
    }

    @EventSourcingHandler
    void on(JobFailed event) {
        stage = Stage.FINISHED;
    }

    @EventSourcingHandler
    void on(JobCancelled event) {
        stage = Stage.FINISHED;
    }

    /** A command on an unknown job is {@code 404}; on a finished one, {@code 409}: a finish is final. */
    private void requireUnfinished(String commandJobId) {
        if (stage == null) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "jobNotFound", "there is no job " + commandJobId));
        }
        if (stage == Stage.FINISHED) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "jobFinished", "job " + jobId
                    + " has finished; a finished job cannot be started, cancelled or finished again"));
        }
    }
}
