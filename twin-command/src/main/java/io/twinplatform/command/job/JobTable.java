package io.twinplatform.command.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.job.JobCancelled;
import io.twinplatform.api.job.JobCompleted;
import io.twinplatform.api.job.JobFailed;
import io.twinplatform.api.job.JobScheduled;
import io.twinplatform.api.job.JobStarted;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.twin.AuditMetadata;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.Timestamp;
import org.axonframework.messaging.annotation.MetaDataValue;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The {@code job} table. Its event handlers run in the subscribing processing group {@value #GROUP} (set up by
 * {@link JobConfiguration}), inside the transaction that appends the job's events, so a job that was accepted is
 * in the table when its {@code PUT} answers, and a cancel is seen by the runner's next checkpoint. The runner's
 * progress, resume point and claim are written here too, outside of any event.
 */
@Component
@ProcessingGroup(JobTable.GROUP)
class JobTable {

    static final String GROUP = "jobs";

    private static final ObjectMapper JSON = TwinJson.newMapper();
    private static final String COLUMNS = "job_id, type, query_condition, update_twin, created_time, start_time,"
            + " max_execution_seconds, end_time, status, failure_reason, status_message, reason, device_count,"
            + " succeeded_count, failed_count, resume_token, resume_succeeded, resume_failed";

    private final JdbcTemplate jdbc;

    JobTable(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @EventHandler
    void on(JobScheduled event, @Timestamp Instant at, @MetaDataValue(AuditMetadata.REASON) String reason) {
        ObjectNode update = JSON.createObjectNode();
        if (event.tags() != null) {
            update.set("tags", event.tags());
        }
        if (event.desired() != null) {
            update.putObject("properties").set("desired", event.desired());
        }
        jdbc.update("""
                INSERT INTO job (job_id, type, query_condition, update_twin, created_time, start_time,
                                 max_execution_seconds, status, reason)
                VALUES (?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING""",
                event.jobId(), event.type(), event.queryCondition(), update.toString(), time(at),
                time(event.startTime()), event.maxExecutionTimeInSeconds(), JobRow.SCHEDULED, reason);
    }

    @EventHandler
    void on(JobStarted event) {
        jdbc.update("UPDATE job SET status = ?, device_count = ? WHERE job_id = ? AND status = ?",
                JobRow.RUNNING, event.deviceCount(), event.jobId(), JobRow.SCHEDULED);
    }

    @EventHandler
    void on(JobCompleted event, @Timestamp Instant at) {
        jdbc.update("""
                UPDATE job SET status = ?, end_time = ?, device_count = ?, succeeded_count = ?, failed_count = ?
                WHERE job_id = ?""", JobRow.COMPLETED, time(at), event.deviceCount(), event.succeededCount(),
                event.failedCount(), event.jobId());
    }

    @EventHandler
    void on(JobFailed event, @Timestamp Instant at) {
        jdbc.update("""
                UPDATE job SET status = ?, end_time = ?, failure_reason = ?, device_count = ?, succeeded_count = ?,
                               failed_count = ?
                WHERE job_id = ?""", JobRow.FAILED, time(at), event.failureReason(), event.deviceCount(),
                event.succeededCount(), event.failedCount(), event.jobId());
    }

    @EventHandler
    void on(JobCancelled event, @Timestamp Instant at) {
        jdbc.update("UPDATE job SET status = ?, end_time = ? WHERE job_id = ?", JobRow.CANCELLED, time(at),
                event.jobId());
    }

    Optional<JobRow> find(String jobId) {
        return jdbc.query("SELECT " + COLUMNS + " FROM job WHERE job_id = ?", JobTable::row, jobId).stream()
                .findFirst();
    }

    /** The most recently created jobs, newest first. */
    List<JobRow> recent(int limit) {
        return jdbc.query("SELECT " + COLUMNS + " FROM job ORDER BY created_time DESC, job_id LIMIT ?",
                JobTable::row, limit);
    }

    /**
     * Claims for {@code runner}, until {@code claimUntil}, up to {@code limit} jobs that are due at {@code now}
     * (scheduled or running, start time come) and that no runner holds: never claimed, released, or whose claim
     * lapsed because its runner stopped. Rows another instance is claiming at the same moment are skipped.
     */
    List<JobRow> claimDue(String runner, Instant now, Instant claimUntil, int limit) {
        return jdbc.query("""
                UPDATE job SET claimed_by = ?, claimed_until = ?
                WHERE job_id IN (SELECT job_id FROM job
                                 WHERE status IN (?, ?) AND start_time <= ?
                                   AND (claimed_until IS NULL OR claimed_until < ?)
                                 ORDER BY start_time, job_id LIMIT ? FOR UPDATE SKIP LOCKED)
                RETURNING\s""" + COLUMNS, JobTable::row, runner, time(claimUntil), JobRow.SCHEDULED, JobRow.RUNNING,
                time(now), time(now), limit);
    }

    /**
     * Saves a running job's counts and renews {@code runner}'s claim; at the end of a page ({@code resumeToken} not
     * {@code null}) also the point a restart resumes from. Answers the job's stored status, or {@code null} when the
     * runner no longer holds the job (its claim lapsed and another runner took it).
     */
    String checkpoint(String jobId, String runner, Instant claimUntil, int succeeded, int failed,
                      String statusMessage, String resumeToken) {
        List<String> status = resumeToken == null
                ? jdbc.queryForList("""
                        UPDATE job SET succeeded_count = ?, failed_count = ?, status_message = ?, claimed_until = ?
                        WHERE job_id = ? AND claimed_by = ? RETURNING status""", String.class,
                succeeded, failed, statusMessage, time(claimUntil), jobId, runner)
                : jdbc.queryForList("""
                        UPDATE job SET succeeded_count = ?, failed_count = ?, status_message = ?, claimed_until = ?,
                                       resume_token = ?, resume_succeeded = ?, resume_failed = ?
                        WHERE job_id = ? AND claimed_by = ? RETURNING status""", String.class,
                succeeded, failed, statusMessage, time(claimUntil), resumeToken, succeeded, failed, jobId, runner);
        return status.isEmpty() ? null : status.get(0);
    }

    /** Gives up {@code runner}'s claim on the job, so that it is picked up again if it is still due. */
    void release(String jobId, String runner) {
        jdbc.update("UPDATE job SET claimed_by = NULL, claimed_until = NULL WHERE job_id = ? AND claimed_by = ?",
                jobId, runner);
    }

    private static JobRow row(ResultSet rs, int n) throws SQLException {
        return new JobRow(rs.getString("job_id"), rs.getString("type"), rs.getString("query_condition"),
                json(rs.getString("update_twin")), instant(rs, "created_time"), instant(rs, "start_time"),
                rs.getInt("max_execution_seconds"), instant(rs, "end_time"), rs.getString("status"),
                rs.getString("failure_reason"), rs.getString("status_message"), rs.getString("reason"),
                rs.getInt("device_count"), rs.getInt("succeeded_count"), rs.getInt("failed_count"),
                rs.getString("resume_token"), rs.getInt("resume_succeeded"), rs.getInt("resume_failed"));
    }

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("PostgreSQL returned invalid JSON for a job", e);
        }
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        java.sql.Timestamp value = rs.getTimestamp(column);
        return value == null ? null : value.toInstant();
    }

    private static java.sql.Timestamp time(Instant instant) {
        return java.sql.Timestamp.from(instant);
    }
}
