package io.twinplatform.history;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * One TimescaleDB policy job that ages a platform table, as {@code timescaledb_information.jobs} and
 * {@code job_stats} describe it, and whether it does its work. TimescaleDB retries a failed job with back-off and
 * says nothing else, so a job that keeps failing (on PostgreSQL 15.20 every background job does: docs/operations.md,
 * "TimescaleDB") would go unnoticed while the table grows; the platform judges each job by {@link #state} instead.
 *
 * @param table       the platform's table the job ages ({@code twin_history}, {@code telemetry}); a refresh job
 *                    refreshes a continuous aggregate of that table
 * @param kind        what the job does
 * @param id          TimescaleDB's job id
 * @param target      what TimescaleDB names as the job's hypertable (the continuous aggregate for a refresh)
 * @param every       the job's schedule interval
 * @param scheduled   false when the job is paused ({@code alter_job(id, scheduled => false)})
 * @param lastRun     {@code Success}, {@code Failed}, or null before its first run
 * @param lastSuccess when a run last finished successfully; null when none ever did
 * @param failures    runs that failed since the job was made
 */
public record PolicyJob(String table, Kind kind, int id, String target, Duration every, boolean scheduled,
                        String lastRun, Instant lastSuccess, long failures) {

    /** A job is stale when its last success (or, never having succeeded, its first sight) is this many intervals ago. */
    static final int STALE_AFTER_INTERVALS = 2;

    public PolicyJob {
        Objects.requireNonNull(table);
        Objects.requireNonNull(kind);
        Objects.requireNonNull(every);
    }

    /** A job and how it does when it was read. */
    public record Verdict(PolicyJob job, State state) {
    }

    /** What a policy job does, named as the meter's {@code job} tag. */
    public enum Kind {
        RETENTION("retention", "policy_retention"),
        COMPRESSION("compression", "policy_compression"),
        REFRESH("refresh", "policy_refresh_continuous_aggregate");

        private final String tag;
        private final String procedure;

        Kind(String tag, String procedure) {
            this.tag = tag;
            this.procedure = procedure;
        }

        /** {@code retention}, {@code compression} or {@code refresh}. */
        public String tag() {
            return tag;
        }

        /** TimescaleDB's procedure for it ({@code timescaledb_information.jobs.proc_name}). */
        String procedure() {
            return procedure;
        }

        static Kind ofProcedure(String procedure) {
            for (Kind kind : values()) {
                if (kind.procedure.equals(procedure)) {
                    return kind;
                }
            }
            throw new IllegalArgumentException("not a policy job: " + procedure);
        }
    }

    /** How a job does, named as the meter's {@code state} tag. */
    public enum State {
        /** Its last run succeeded, recently enough. */
        OK,
        /** Its last run failed: TimescaleDB retries it, but nothing says whether it will ever succeed. */
        FAILED,
        /** It has not succeeded for {@value #STALE_AFTER_INTERVALS} intervals: paused, or its runs do not happen. */
        STALE;

        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * How the job does at {@code now}: {@link State#FAILED} when its last run failed, else {@link State#STALE} when
     * its last success is more than {@value #STALE_AFTER_INTERVALS} intervals before {@code now} (a job that never
     * succeeded is given that long from {@code since}, when the platform first saw it), else {@link State#OK}.
     */
    public State state(Instant now, Instant since) {
        if ("Failed".equals(lastRun)) {
            return State.FAILED;
        }
        Instant last = lastSuccess != null ? lastSuccess : since;
        return last.plus(every.multipliedBy(STALE_AFTER_INTERVALS)).isBefore(now) ? State.STALE : State.OK;
    }
}
