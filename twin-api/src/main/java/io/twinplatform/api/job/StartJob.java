package io.twinplatform.api.job;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * Sent by the runner when it begins a job. A job that already runs (resumed after a restart) records nothing; a
 * finished one refuses ({@code 409 jobFinished}), so a runner that lost a race with a cancel stops.
 */
public record StartJob(String jobId, int deviceCount) {

    @TargetAggregateIdentifier
    public String aggregateId() {
        return JobEvent.aggregateId(jobId);
    }
}
