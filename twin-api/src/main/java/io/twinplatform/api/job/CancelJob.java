package io.twinplatform.api.job;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** An operator's cancel: {@code 404 jobNotFound} for an unknown job, {@code 409 jobFinished} for a finished one. */
public record CancelJob(String jobId) {

    @TargetAggregateIdentifier
    public String aggregateId() {
        return JobEvent.aggregateId(jobId);
    }
}
