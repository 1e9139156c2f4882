package io.twinplatform.command.job;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.query.TwinQueryPage;
import io.twinplatform.command.ratelimit.TokenBucket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;

/**
 * One run of one job, from its start (or its last finished page, when resumed) to its end. It sends each selected
 * twin the job's update, one at a time and each after a token of the shared {@link TokenBucket}; a twin that refuses
 * (deleted meanwhile, a limit broken) counts as failed and the job goes on. About every
 * {@value #CHECKPOINT_MILLIS} ms, and after every page, it saves its counts and learns whether the job was
 * cancelled: then it sends nothing more. Past {@code startTime + maxExecutionTimeInSeconds} it stops and fails the job.
 */
final class JobExecution {

    static final long CHECKPOINT_MILLIS = 1000;

    private static final Logger log = LoggerFactory.getLogger(JobExecution.class);

    private final JobRow job;
    private final JobPorts ports;
    private final TokenBucket bucket;
    private int deviceCount;
    private int succeeded;
    private int failed;
    private String firstRefusal;
    private Instant lastCheckpoint;

    JobExecution(JobRow job, JobPorts ports, TokenBucket bucket) {
        this.job = job;
        this.ports = ports;
        this.bucket = bucket;
        if (job.running()) {
            deviceCount = job.deviceCount();
            succeeded = job.resumeSucceeded();
            failed = job.resumeFailed();
            firstRefusal = failed > 0 ? job.statusMessage() : null;
        }
    }

    /**
     * Runs the job until it completes, fails, is cancelled or this runner loses its claim. An
     * {@link InterruptedException} means the runner stops; any other exception leaves the job running, to be resumed
     * from its last finished page.
     */
    void run() throws InterruptedException {
        if (pastDeadline()) {
            failJob(job.running() ? timedOut() : "it did not start before its maximum execution time ("
                    + job.maxExecutionTimeInSeconds() + " s from " + Timestamps.format(job.startTime())
                    + ") ran out: the platform was not running, or other jobs held every runner");
            return;
        }
        String token = null;
        if (job.running()) {
            token = job.resumeToken();
            log.info("resuming job {} after {} twins", job.jobId(), succeeded + failed);
        } else if (!start()) {
            return;
        }
        lastCheckpoint = ports.now();
        String query = FleetSelection.twinIds(job.queryCondition());
        do {
            TwinQueryPage page;
            try {
                page = ports.query(query, token);
            } catch (TwinException e) {
                failJob("its twins could not be selected: " + e.error().detail());
                return;
            }
            for (ObjectNode item : page.items()) {
                bucket.acquire();
                if (pastDeadline()) {
                    failJob(timedOut());
                    return;
                }
                if (checkpointDue() && !checkpoint(null)) {
                    return;
                }
                update(FleetSelection.twinId(item));
            }
            token = page.continuationToken();
            if (token != null && !checkpoint(token)) {
                return;
            }
        } while (token != null);
        if (checkpoint(null) && finish(() -> ports.complete(job, succeeded, failed))) {
            log.info("job {} completed: {} twins updated, {} refused", job.jobId(), succeeded, failed);
        }
    }

    /** Counts the selected twins and records the start; {@code false} when the job cannot or need not go on. */
    private boolean start() throws InterruptedException {
        try {
            TwinQueryPage count = ports.query(FleetSelection.count(job.queryCondition()), null);
            deviceCount = count.items().isEmpty() ? 0 : count.items().get(0).path(FleetSelection.COUNT_KEY).asInt();
        } catch (TwinException e) {
            failJob("its twins could not be selected: " + e.error().detail());
            return false;
        }
        try {
            ports.start(job, deviceCount);
        } catch (TwinException e) {
            log.info("job {} was not started: {}", job.jobId(), e.error().detail());
            return false;
        }
        log.info("job {} started on {} twins", job.jobId(), deviceCount);
        return true;
    }

    private void update(String twinId) throws InterruptedException {
        try {
            ports.patch(job, twinId);
            succeeded++;
        } catch (TwinException e) {
            failed++;
            if (firstRefusal == null) {
                firstRefusal = "the first twin to refuse the update: " + twinId + ": " + e.error().detail();
            }
            log.debug("job {}: twin {} refused the update: {}", job.jobId(), twinId, e.error().detail());
        }
    }

    /** Saves progress; {@code true} while the job is still running and this runner still holds it. */
    private boolean checkpoint(String resumeToken) {
        lastCheckpoint = ports.now();
        String status = ports.checkpoint(job, succeeded, failed, statusMessage(), resumeToken);
        if (!JobRow.RUNNING.equals(status)) {
            log.info("job {} stops after {} twins: {}", job.jobId(), succeeded + failed,
                    status == null ? "another runner holds it" : "it is " + status);
            return false;
        }
        return true;
    }

    private boolean checkpointDue() {
        return Duration.between(lastCheckpoint, ports.now()).toMillis() >= CHECKPOINT_MILLIS;
    }

    private boolean pastDeadline() {
        return !ports.now().isBefore(job.deadline());
    }

    private String timedOut() {
        return "maxExecutionTimeInSeconds (" + job.maxExecutionTimeInSeconds() + ") ran out at "
                + Timestamps.format(job.deadline()) + " after " + (succeeded + failed) + " of " + deviceCount
                + " twins";
    }

    /** Names the first twin that refused the update and why; the number is in the failed count. */
    private String statusMessage() {
        return firstRefusal;
    }

    private void failJob(String reason) {
        if (finish(() -> ports.fail(job, reason, succeeded, failed))) {
            log.info("job {} failed: {}", job.jobId(), reason);
        }
    }

    /** Records a finish; one that lost the race with a cancel is no error ({@code false}): the cancel stands. */
    private boolean finish(Runnable command) {
        try {
            command.run();
            return true;
        } catch (TwinException e) {
            log.info("job {} was not finished: {}", job.jobId(), e.error().detail());
            return false;
        }
    }
}
