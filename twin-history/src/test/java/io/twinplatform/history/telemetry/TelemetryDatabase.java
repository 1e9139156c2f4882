package io.twinplatform.history.telemetry;

import io.twinplatform.history.TimeSeriesTable;
import io.twinplatform.testsupport.database.TestDatabase;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * The shared {@link TestDatabase} with the history side's tables and the event store's (telemetry reads which twins
 * exist from the events), and what the telemetry tests do with it: store events, make the telemetry table, list its
 * partitions.
 */
final class TelemetryDatabase implements AutoCloseable {

    private final TestDatabase database;
    final DataSource dataSource;
    final JdbcTemplate jdbc;
    final TransactionTemplate transaction;

    private TelemetryDatabase(TestDatabase database) {
        this.database = database;
        this.dataSource = database.dataSource();
        this.jdbc = database.jdbc();
        this.transaction = database.transaction();
    }

    static TelemetryDatabase fresh() {
        return new TelemetryDatabase(TestDatabase.fresh(TestDatabase.PLATFORM, TestDatabase.HISTORY));
    }

    /** The same on a TimescaleDB ({@link TestDatabase#timescale}; only where one is configured). */
    static TelemetryDatabase timescale() {
        return new TelemetryDatabase(TestDatabase.timescale(TestDatabase.PLATFORM, TestDatabase.HISTORY));
    }

    /** Stores an event of {@code type} (a simple name in the twin events' package, or a full class name). */
    void event(String aggregateId, String type) {
        String payloadType = type.contains(".") ? type : "io.twinplatform.api.twin." + type;
        Long next = jdbc.queryForObject("SELECT count(*) FROM domain_event_entry WHERE aggregate_identifier = ?",
                Long.class, aggregateId);
        jdbc.update("INSERT INTO domain_event_entry (event_identifier, payload, payload_type, time_stamp,"
                        + " aggregate_identifier, sequence_number, type)"
                        + " VALUES (gen_random_uuid()::text, ?, ?, ?, ?, ?, ?)", "{}".getBytes(StandardCharsets.UTF_8),
                payloadType, Instant.now().toString(), aggregateId, next, "Twin");
    }

    /** The telemetry table on native day partitions, with {@code settings} and {@code clock}. */
    TimeSeriesTable telemetryTable(TelemetrySettings settings, Clock clock) {
        return TimeSeriesTable.of(TelemetryTable.spec(settings), false, jdbc, transaction, clock);
    }

    /** The telemetry table as a TimescaleDB hypertable (on {@link #timescale()}), with {@code settings} and {@code clock}. */
    TimeSeriesTable telemetryHypertable(TelemetrySettings settings, Clock clock) {
        return TimeSeriesTable.of(TelemetryTable.spec(settings), true, jdbc, transaction, clock);
    }

    /** The names of the telemetry table's partitions, in order. */
    List<String> partitions() {
        return jdbc.queryForList("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry' ORDER BY 1""", String.class);
    }

    @Override
    public void close() {
        database.close();
    }
}
