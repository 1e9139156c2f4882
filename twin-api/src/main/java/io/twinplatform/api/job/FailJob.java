package io.twinplatform.api.job;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * Sent by the runner when a job cannot go on (its maximum execution time ran out, its query cannot run); a job
 * that has not started or is running may fail, a finished one refuses ({@code 409 jobFinished}).
 */
public record FailJob(String jobId, String failureReason, int succeededCount, int failedCount) {

    @TargetAggregateIdentifier
    public String aggregateId() {
        return JobEvent.aggregateId(jobId);
    }
}
