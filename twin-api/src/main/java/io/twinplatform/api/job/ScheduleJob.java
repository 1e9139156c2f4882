package io.twinplatform.api.job;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Accepts a job; refused with {@code 409 jobExists} if its id was ever used (a job cannot be changed). */
public record ScheduleJob(JobSpec spec) {

    @TargetAggregateIdentifier
    public String aggregateId() {
        return JobEvent.aggregateId(spec.jobId());
    }
}
