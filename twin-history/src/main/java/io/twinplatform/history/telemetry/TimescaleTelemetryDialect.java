package io.twinplatform.history.telemetry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * TimescaleDB: {@code telemetry} is a hypertable on {@code ts} (one-day chunks) whose retention policy drops chunks
 * past {@code twin.telemetry.retention}; buckets are {@code time_bucket}. All of this dialect's SQL is in this class.
 * <p>
 * Flyway creates the table partitioned (the native dialect); the first start on a database with the
 * {@code timescaledb} extension turns it into a plain table holding the same rows and makes that a hypertable, in one
 * transaction, as {@code TimescaleHistoryDialect} does for the history table.
 */
class TimescaleTelemetryDialect implements TelemetryDialect {

    private static final Logger log = LoggerFactory.getLogger(TimescaleTelemetryDialect.class);

    private final JdbcTemplate jdbc;
    private final TelemetrySettings settings;
    private final TransactionTemplate transaction;

    TimescaleTelemetryDialect(JdbcTemplate jdbc, TelemetrySettings settings, TransactionTemplate transaction) {
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
                    WHERE c.relname = 'telemetry')""", Boolean.class);
            if (Boolean.TRUE.equals(partitioned)) {
                toHypertable();
            }
            jdbc.queryForList("SELECT remove_retention_policy('telemetry', if_exists => true)");
            jdbc.queryForList("SELECT add_retention_policy('telemetry', drop_after => make_interval(secs => "
                    + settings.retention().toSeconds() + "))");
        });
    }

    private void toHypertable() {
        log.info("turning the telemetry table into a TimescaleDB hypertable");
        jdbc.execute("CREATE TABLE telemetry_plain (LIKE telemetry INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
        jdbc.execute("INSERT INTO telemetry_plain SELECT * FROM telemetry");
        jdbc.execute("DROP TABLE telemetry");
        jdbc.execute("ALTER TABLE telemetry_plain RENAME TO telemetry");
        jdbc.queryForList("SELECT create_hypertable('telemetry', 'ts', chunk_time_interval => INTERVAL '1 day',"
                + " migrate_data => true)");
        jdbc.execute("ALTER TABLE telemetry ADD PRIMARY KEY (twin_id, ts, name)");
    }

    @Override
    public void ensure(Instant time) {
        // Timescale creates chunks as rows arrive.
    }

    @Override
    public List<String> dropOlderThan(Instant horizon) {
        // The retention policy drops chunks.
        return List.of();
    }

    @Override
    public String bucketsSql(Duration bucket, boolean byName) {
        return "SELECT name, time_bucket(make_interval(secs => " + bucket.toSeconds() + "), ts,"
                + " TIMESTAMPTZ '2000-01-01 00:00:00+00'), count(*), sum(value) / count(*), min(value), max(value)"
                + " FROM telemetry WHERE twin_id = ? AND ts >= ? AND ts < ?" + (byName ? " AND name = ANY (?)" : "")
                + " GROUP BY 1, 2 ORDER BY 1, 2";
    }
}
