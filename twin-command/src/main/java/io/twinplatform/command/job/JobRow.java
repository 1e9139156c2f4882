package io.twinplatform.command.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.Timestamps;

import java.time.Instant;

/**
 * One row of the {@code job} table: a job as {@code GET /jobs/{id}} shows it, and what the runner needs to run or
 * resume it. {@code status} is the stored lifecycle ({@value #SCHEDULED}, {@value #RUNNING}, {@value #COMPLETED},
 * {@value #FAILED}, {@value #CANCELLED}); {@value #QUEUED} is only shown, for a scheduled job whose start time has
 * come but that no runner has picked up yet.
 *
 * @param updateTwin {@code {"tags":…,"properties":{"desired":…}}} as the job applies them, sections it leaves alone
 *                   left out
 */
record JobRow(String jobId, String type, String queryCondition, ObjectNode updateTwin, Instant createdTime,
              Instant startTime, int maxExecutionTimeInSeconds, Instant endTime, String status,
              String failureReason, String statusMessage, String reason, int deviceCount, int succeededCount,
              int failedCount, String resumeToken, int resumeSucceeded, int resumeFailed) {

    static final String QUEUED = "queued";
    static final String SCHEDULED = "scheduled";
    static final String RUNNING = "running";
    static final String COMPLETED = "completed";
    static final String FAILED = "failed";
    static final String CANCELLED = "cancelled";

    /** The merge patch of tags the job sends, or {@code null}. */
    ObjectNode tags() {
        JsonNode tags = updateTwin.get("tags");
        return tags instanceof ObjectNode object ? object.deepCopy() : null;
    }

    /** The merge patch of desired properties the job sends, or {@code null}. */
    ObjectNode desired() {
        JsonNode desired = updateTwin.path("properties").get("desired");
        return desired instanceof ObjectNode object ? object.deepCopy() : null;
    }

    /** When the job must be through: {@code startTime + maxExecutionTimeInSeconds}. */
    Instant deadline() {
        return startTime.plusSeconds(maxExecutionTimeInSeconds);
    }

    boolean running() {
        return RUNNING.equals(status);
    }

    boolean finished() {
        return COMPLETED.equals(status) || FAILED.equals(status) || CANCELLED.equals(status);
    }

    /** The job in Azure IoT Hub's job JSON, as it stands at {@code now}. */
    ObjectNode render(Instant now) {
        ObjectNode job = JsonNodeFactory.instance.objectNode();
        job.put("jobId", jobId);
        job.put("type", type);
        job.put("queryCondition", queryCondition);
        job.put("createdTime", Timestamps.format(createdTime));
        job.put("startTime", Timestamps.format(startTime));
        job.put("endTime", endTime == null ? null : Timestamps.format(endTime));
        job.put("maxExecutionTimeInSeconds", maxExecutionTimeInSeconds);
        job.put("status", SCHEDULED.equals(status) && !startTime.isAfter(now) ? QUEUED : status);
        job.put("failureReason", failureReason);
        job.put("statusMessage", statusMessage);
        job.set("updateTwin", updateTwin.deepCopy());
        job.set("deviceJobStatistics", statistics());
        return job;
    }

    /**
     * Azure's {@code deviceJobStatistics}. A running job sends one update at a time, so at most one twin is running;
     * the rest of the twins counted at its start that it has not tried are pending. A finished job has nothing
     * running or pending: twins it never tried (cancelled, failed) are not coming.
     */
    private ObjectNode statistics() {
        int done = succeededCount + failedCount;
        int total = Math.max(deviceCount, done);
        int running = running() && total > done ? 1 : 0;
        int pending = running() ? total - done - running : 0;
        ObjectNode statistics = JsonNodeFactory.instance.objectNode();
        statistics.put("deviceCount", total);
        statistics.put("failedCount", failedCount);
        statistics.put("succeededCount", succeededCount);
        statistics.put("runningCount", running);
        statistics.put("pendingCount", pending);
        return statistics;
    }
}
