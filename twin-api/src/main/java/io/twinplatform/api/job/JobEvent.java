package io.twinplatform.api.job;

/** What every job event says: which job. */
public sealed interface JobEvent permits JobScheduled, JobStarted, JobCompleted, JobFailed, JobCancelled {

    /**
     * The job's aggregate identifier in the event store, {@code job#<id>}. The store keeps one sequence per identifier
     * across all aggregate types, and a twin id never holds {@code #}, so a job and a twin of the same name cannot
     * collide; the prefix keeps it apart from a configuration of the same name too.
     */
    static String aggregateId(String jobId) {
        return "job#" + jobId;
    }

    String jobId();
}
