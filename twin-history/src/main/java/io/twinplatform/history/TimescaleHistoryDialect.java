package io.twinplatform.history;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * TimescaleDB: {@code twin_history} is a hypertable on time (one-day chunks) with a compression policy (chunks older
 * than {@code twin.history.compress-after}, segmented by twin, newest version first) and a retention policy, and the
 * continuous aggregate {@code twin_history_activity} counts changes per hour, event type and channel for the fleet's
 * activity over time (it outlives the raw rows). All of this dialect's SQL is in this class.
 * <p>
 * Flyway creates the table partitioned (the native dialect); the first start on a database with the
 * {@code timescaledb} extension turns it into a plain table holding the same rows and makes that a hypertable, in one
 * transaction. The retention policy drops chunks two days after they pass the retention, so that the hourly carry
 * into {@code twin_history_baseline} ({@link HistoryRetention}) always sees their rows first.
 */
class TimescaleHistoryDialect implements HistoryDialect {

    private static final Logger log = LoggerFactory.getLogger(TimescaleHistoryDialect.class);
    /** How long after the retention Timescale's policy drops a chunk: the carry-forward runs hourly. */
    static final Duration DROP_MARGIN = Duration.ofDays(2);

    private final JdbcTemplate jdbc;
    private final HistorySettings settings;
    private final TransactionTemplate transaction;

    TimescaleHistoryDialect(JdbcTemplate jdbc, HistorySettings settings, TransactionTemplate transaction) {
        this.jdbc = jdbc;
        this.settings = settings;
        this.transaction = transaction;
    }

    @Override
    public String name() {
        return "timescale";
    }

    @Override
    public void prepare() {
        transaction.executeWithoutResult(status -> {
            Boolean partitioned = jdbc.queryForObject("""
                    SELECT EXISTS (SELECT 1 FROM pg_partitioned_table t JOIN pg_class c ON c.oid = t.partrelid
                    WHERE c.relname = 'twin_history')""", Boolean.class);
            if (Boolean.TRUE.equals(partitioned)) {
                toHypertable();
            }
            String retention = seconds(settings.retention().plus(DROP_MARGIN));
            jdbc.queryForList("SELECT remove_retention_policy('twin_history', if_exists => true)");
            jdbc.queryForList("SELECT add_retention_policy('twin_history', drop_after => " + retention + ")");
            jdbc.queryForList("SELECT remove_compression_policy('twin_history', if_exists => true)");
            jdbc.queryForList("SELECT add_compression_policy('twin_history', compress_after => "
                    + seconds(settings.compressAfter()) + ")");
        });
    }

    private void toHypertable() {
        log.info("turning the history table into a TimescaleDB hypertable");
        jdbc.execute("CREATE TABLE twin_history_plain (LIKE twin_history INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
        jdbc.execute("INSERT INTO twin_history_plain SELECT * FROM twin_history");
        jdbc.execute("DROP TABLE twin_history");
        jdbc.execute("ALTER TABLE twin_history_plain RENAME TO twin_history");
        jdbc.queryForList("SELECT create_hypertable('twin_history', 'time', chunk_time_interval => INTERVAL '1 day',"
                + " migrate_data => true)");
        jdbc.execute("ALTER TABLE twin_history ADD PRIMARY KEY (twin_id, version, time)");
        jdbc.execute("CREATE INDEX twin_history_time ON twin_history (time, twin_id, version)");
        jdbc.execute("CREATE INDEX twin_history_principal ON twin_history (principal, time, twin_id, version)");
        jdbc.execute("ALTER TABLE twin_history SET (timescaledb.compress, timescaledb.compress_segmentby = 'twin_id',"
                + " timescaledb.compress_orderby = 'version DESC, time DESC')");
        jdbc.execute("""
                CREATE MATERIALIZED VIEW twin_history_activity WITH (timescaledb.continuous,
                    timescaledb.materialized_only = false) AS
                SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, event_type, coalesce(channel, '') AS channel,
                    count(*) AS changes
                FROM twin_history GROUP BY 1, 2, 3 WITH NO DATA""");
        jdbc.queryForList("SELECT add_continuous_aggregate_policy('twin_history_activity', start_offset => INTERVAL"
                + " '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 hour')");
    }

    @Override
    public void ensure(Instant time) {
        // Timescale creates chunks as rows arrive.
    }

    @Override
    public List<String> dropOlderThan(Instant horizon) {
        // The retention policy drops chunks (after the carry-forward margin).
        return List.of();
    }

    @Override
    public String activitySql(Duration bucket) {
        String width = "make_interval(secs => " + bucket.toSeconds() + ")";
        String origin = "TIMESTAMPTZ '2000-01-01 00:00:00+00'";
        if (bucket.toSeconds() % 3600 == 0) {
            // Whole hours: re-bucket the continuous aggregate (real-time: it adds the rows not yet materialised).
            return "SELECT time_bucket(" + width + ", bucket, " + origin + ") AS b, event_type, channel, sum(changes)"
                    + " FROM twin_history_activity WHERE bucket >= ? AND bucket < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
        }
        return "SELECT time_bucket(" + width + ", time, " + origin + ") AS b, event_type, coalesce(channel, ''),"
                + " count(*) FROM twin_history WHERE time >= ? AND time < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
    }

    private static String seconds(Duration duration) {
        return "make_interval(secs => " + duration.toSeconds() + ")";
    }
}
