package io.twinplatform.history;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * TimescaleDB: the table is a hypertable on its time column ({@link TimeSeriesTable.Chunks#days}-day chunks) whose
 * retention policy drops chunks {@link TimeSeriesTable.Chunks#dropMargin} after they pass the retention, with a
 * compression policy where one is asked for; buckets are {@code time_bucket}. Every retention run makes sure of the
 * policies and replaces one whose setting changed, so a changed retention takes effect with the next start; a policy
 * that is already right is kept, with its job and that job's record of runs.
 * <p>
 * TimescaleDB's jobs can fail without anyone noticing (on PostgreSQL 15.20 every background job does), so the table
 * reads how they do ({@link #policyJobs}); while the retention job is failed or stale, the platform's own hourly run
 * drops the chunks the policy would have dropped ({@code drop_chunks}), and says so once in the log.
 * <p>
 * Flyway creates the table partitioned (the native dialect); the first start on a database with the
 * {@code timescaledb} extension turns it into a plain table holding the same rows, makes that a hypertable and runs
 * the table's {@link TimeSeriesTable.Chunks#setup} (keys, indexes, aggregates), in one transaction.
 */
public final class Hypertable implements TimeSeriesTable {

    private static final Logger log = LoggerFactory.getLogger(Hypertable.class);

    /**
     * The policy jobs of a table (and of its continuous aggregates) in the current schema, with their last runs.
     * TimescaleDB writes {@code -infinity} as the last success of a job that never succeeded.
     */
    private static final String JOBS = """
            SELECT j.job_id, j.proc_name, j.hypertable_name, extract(epoch FROM j.schedule_interval) AS every,
                   j.scheduled, s.last_run_status,
                   CASE WHEN s.last_successful_finish > '-infinity' THEN s.last_successful_finish END AS last_success,
                   coalesce(s.total_failures, 0) AS failures
            FROM timescaledb_information.jobs j
            LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
            WHERE j.proc_name IN ('policy_retention', 'policy_compression', 'policy_refresh_continuous_aggregate')
              AND j.hypertable_schema = current_schema()
              AND (j.hypertable_name = ? OR j.hypertable_name IN (
                  SELECT a.view_name FROM timescaledb_information.continuous_aggregates a
                  WHERE a.hypertable_schema = current_schema() AND a.hypertable_name = ?))
            ORDER BY j.job_id""";

    private final TimeSeriesTable.Spec spec;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final Clock clock;
    /** When this process first saw each job: a job that never succeeded is stale that long after. */
    private final Map<Integer, Instant> firstSeen = new ConcurrentHashMap<>();
    private volatile boolean droppingItself;

    Hypertable(TimeSeriesTable.Spec spec, JdbcTemplate jdbc, TransactionTemplate transaction, Clock clock) {
        this.spec = spec;
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.clock = clock;
    }

    @Override
    public String dialect() {
        return "timescale";
    }

    @Override
    public void prepare() {
        String table = spec.table();
        TimeSeriesTable.Chunks chunks = spec.chunks();
        transaction.executeWithoutResult(status -> {
            Boolean partitioned = jdbc.queryForObject("""
                    SELECT EXISTS (SELECT 1 FROM pg_partitioned_table t JOIN pg_class c ON c.oid = t.partrelid
                    WHERE c.relname = ?)""", Boolean.class, table);
            if (Boolean.TRUE.equals(partitioned)) {
                toHypertable();
            }
            Duration dropAfter = spec.retention().plus(chunks.dropMargin());
            if (!hasPolicy(PolicyJob.Kind.RETENTION, "drop_after", dropAfter)) {
                jdbc.queryForList("SELECT remove_retention_policy('" + table + "', if_exists => true)");
                jdbc.queryForList("SELECT add_retention_policy('" + table + "', drop_after => " + seconds(dropAfter)
                        + ")");
            }
            if (chunks.compressAfter() != null
                    && !hasPolicy(PolicyJob.Kind.COMPRESSION, "compress_after", chunks.compressAfter())) {
                jdbc.queryForList("SELECT remove_compression_policy('" + table + "', if_exists => true)");
                jdbc.queryForList("SELECT add_compression_policy('" + table + "', compress_after => "
                        + seconds(chunks.compressAfter()) + ")");
            }
        });
    }

    /** Whether the table has a policy of {@code kind} whose interval setting {@code key} is {@code value}. */
    private boolean hasPolicy(PolicyJob.Kind kind, String key, Duration value) {
        return Boolean.TRUE.equals(jdbc.queryForObject("""
                SELECT EXISTS (SELECT 1 FROM timescaledb_information.jobs WHERE proc_name = ?
                AND hypertable_schema = current_schema() AND hypertable_name = ?
                AND (config ->> ?)::interval = make_interval(secs => ?))""", Boolean.class, kind.procedure(),
                spec.table(), key, value.toSeconds()));
    }

    /**
     * The policy jobs that age this table (retention, compression, and the refresh of its continuous aggregates),
     * each with how it does now ({@link PolicyJob#state}); reads the database.
     */
    @Override
    public List<PolicyJob.Verdict> policyJobs() {
        Instant now = clock.instant();
        List<PolicyJob> jobs = jdbc.query(JOBS, (rs, row) -> new PolicyJob(spec.table(),
                PolicyJob.Kind.ofProcedure(rs.getString("proc_name")), rs.getInt("job_id"),
                rs.getString("hypertable_name"), Duration.ofMillis(Math.round(rs.getDouble("every") * 1000)),
                rs.getBoolean("scheduled"), rs.getString("last_run_status"),
                rs.getTimestamp("last_success") == null ? null : rs.getTimestamp("last_success").toInstant(),
                rs.getLong("failures")), spec.table(), spec.table());
        firstSeen.keySet().retainAll(jobs.stream().map(PolicyJob::id).toList());
        return jobs.stream().map(job -> new PolicyJob.Verdict(job,
                job.state(now, firstSeen.computeIfAbsent(job.id(), id -> now)))).toList();
    }

    private void toHypertable() {
        String table = spec.table();
        log.info("turning the table {} into a TimescaleDB hypertable", table);
        jdbc.execute("CREATE TABLE " + table + "_plain (LIKE " + table + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
        jdbc.execute("INSERT INTO " + table + "_plain SELECT * FROM " + table);
        jdbc.execute("DROP TABLE " + table);
        jdbc.execute("ALTER TABLE " + table + "_plain RENAME TO " + table);
        jdbc.queryForList("SELECT create_hypertable('" + table + "', '" + spec.timeColumn()
                + "', chunk_time_interval => INTERVAL '" + spec.chunks().days() + " day', migrate_data => true)");
        spec.chunks().setup().forEach(jdbc::execute);
    }

    @Override
    public void ensure(Instant time) {
        // Timescale creates chunks as rows arrive.
    }

    /**
     * Nothing while the retention policy's job does its work. While it is failed or stale, drops the chunks wholly
     * older than the policy's own limit ({@code horizon} less {@link TimeSeriesTable.Chunks#dropMargin}) and returns
     * their names; without a retention job (before the first {@link #prepare}) nothing either.
     */
    @Override
    public List<String> dropOlderThan(Instant horizon) {
        PolicyJob.Verdict retention = policyJobs().stream()
                .filter(verdict -> verdict.job().kind() == PolicyJob.Kind.RETENTION).findFirst().orElse(null);
        if (retention == null || retention.state() == PolicyJob.State.OK) {
            if (retention != null && droppingItself) {
                log.info("the TimescaleDB retention job {} of {} runs again; the platform leaves the chunks to it",
                        retention.job().id(), spec.table());
                droppingItself = false;
            }
            return List.of();
        }
        if (!droppingItself) {
            PolicyJob job = retention.job();
            log.warn("the TimescaleDB retention job {} of {} is {} (last run: {}, last success: {}, {} failed runs);"
                            + " the platform drops its chunks past the retention itself until the job runs again",
                    job.id(), spec.table(), retention.state().tag(), job.lastRun(),
                    job.lastSuccess() == null ? "never" : job.lastSuccess(), job.failures());
            droppingItself = true;
        }
        return jdbc.queryForList("SELECT drop_chunks(?::regclass, older_than => ?::timestamptz)", String.class,
                spec.table(), Timestamp.from(horizon.minus(spec.chunks().dropMargin())));
    }

    @Override
    public String bucket(Duration width, String column) {
        return "time_bucket(make_interval(secs => " + width.toSeconds() + "), " + column
                + ", TIMESTAMPTZ '2000-01-01 00:00:00+00')";
    }

    private static String seconds(Duration duration) {
        return "make_interval(secs => " + duration.toSeconds() + ")";
    }
}
