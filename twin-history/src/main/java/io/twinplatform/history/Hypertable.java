package io.twinplatform.history;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * TimescaleDB: the table is a hypertable on its time column ({@link TimeSeriesTable.Chunks#days}-day chunks) whose
 * retention policy drops chunks {@link TimeSeriesTable.Chunks#dropMargin} after they pass the retention, with a
 * compression policy where one is asked for; buckets are {@code time_bucket}. The policies are set again on every
 * retention run, so a changed retention takes effect with the next start.
 * <p>
 * Flyway creates the table partitioned (the native dialect); the first start on a database with the
 * {@code timescaledb} extension turns it into a plain table holding the same rows, makes that a hypertable and runs
 * the table's {@link TimeSeriesTable.Chunks#setup} (keys, indexes, aggregates), in one transaction.
 */
public final class Hypertable implements TimeSeriesTable {

    private static final Logger log = LoggerFactory.getLogger(Hypertable.class);

    private final TimeSeriesTable.Spec spec;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;

    Hypertable(TimeSeriesTable.Spec spec, JdbcTemplate jdbc, TransactionTemplate transaction) {
        this.spec = spec;
        this.jdbc = jdbc;
        this.transaction = transaction;
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
            jdbc.queryForList("SELECT remove_retention_policy('" + table + "', if_exists => true)");
            jdbc.queryForList("SELECT add_retention_policy('" + table + "', drop_after => "
                    + seconds(spec.retention().plus(chunks.dropMargin())) + ")");
            if (chunks.compressAfter() != null) {
                jdbc.queryForList("SELECT remove_compression_policy('" + table + "', if_exists => true)");
                jdbc.queryForList("SELECT add_compression_policy('" + table + "', compress_after => "
                        + seconds(chunks.compressAfter()) + ")");
            }
        });
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

    @Override
    public List<String> dropOlderThan(Instant horizon) {
        // The retention policy drops chunks.
        return List.of();
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
