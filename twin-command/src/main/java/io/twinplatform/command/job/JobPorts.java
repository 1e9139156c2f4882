package io.twinplatform.command.job;

import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.TwinQueryPage;

import java.time.Instant;

/**
 * What one job's run needs from the platform: the clock, the fleet query, the twin and job commands, and the job
 * table's checkpoint. {@link JobRunner} wires these to Axon's buses and the table; a test can run a
 * {@link JobExecution} against its own.
 */
interface JobPorts {

    Instant now();

    /** One page of a fleet query; a {@link TwinException} when the query cannot run. */
    TwinQueryPage query(String query, String continuationToken) throws InterruptedException;

    /** Sends one twin the job's update; a {@link TwinException} when the twin refuses it. */
    void patch(JobRow job, String twinId) throws InterruptedException;

    /** Records that the job started; a {@link TwinException} when it finished meanwhile (cancelled). */
    void start(JobRow job, int deviceCount);

    /** Records that the job completed; a {@link TwinException} when it finished meanwhile (cancelled). */
    void complete(JobRow job, int succeeded, int failed);

    /** Records that the job failed; a {@link TwinException} when it finished meanwhile (cancelled). */
    void fail(JobRow job, String reason, int succeeded, int failed);

    /**
     * Saves the job's progress and renews this runner's claim on it; with a {@code resumeToken}, also where a
     * restart resumes. Answers the job's stored status, or {@code null} when this runner no longer holds the job.
     */
    String checkpoint(JobRow job, int succeeded, int failed, String statusMessage, String resumeToken);
}
