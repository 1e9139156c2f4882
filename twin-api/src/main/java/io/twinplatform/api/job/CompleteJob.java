package io.twinplatform.api.job;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Sent by the runner when every selected twin was tried; only a running job completes. */
public record CompleteJob(String jobId, int succeededCount, int failedCount) {

    @TargetAggregateIdentifier
    public String aggregateId() {
        return JobEvent.aggregateId(jobId);
    }
}
