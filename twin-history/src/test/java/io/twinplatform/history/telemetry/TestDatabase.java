package io.twinplatform.history.telemetry;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.twinplatform.history.TimeSeriesTable;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL for the telemetry tests: one embedded server per test run, and a new database per test holding
 * what telemetry reads and writes: the event store's table (as migration V1 makes it) and migration V21 as Flyway
 * runs it.
 */
final class TestDatabase implements AutoCloseable {

    private static EmbeddedPostgres server;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    final HikariDataSource dataSource;
    final JdbcTemplate jdbc;
    final TransactionTemplate transaction;

    private TestDatabase(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.jdbc = new JdbcTemplate(dataSource);
        this.transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }

    static TestDatabase fresh() {
        EmbeddedPostgres postgres = server();
        String name = "telemetry_" + DATABASES.incrementAndGet();
        new JdbcTemplate(postgres.getPostgresDatabase()).execute("CREATE DATABASE " + name);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.getJdbcUrl("postgres", name));
        config.setUsername("postgres");
        config.setMaximumPoolSize(4);
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        TestDatabase database = new TestDatabase(new HikariDataSource(config));
        database.jdbc.execute("""
                CREATE TABLE domain_event_entry (
                    global_index         BIGSERIAL    NOT NULL,
                    event_identifier     VARCHAR(255) NOT NULL,
                    meta_data            BYTEA,
                    payload              BYTEA        NOT NULL,
                    payload_revision     VARCHAR(255),
                    payload_type         VARCHAR(255) NOT NULL,
                    time_stamp           VARCHAR(255) NOT NULL,
                    aggregate_identifier VARCHAR(255) NOT NULL,
                    sequence_number      BIGINT       NOT NULL,
                    type                 VARCHAR(255),
                    PRIMARY KEY (global_index),
                    UNIQUE (aggregate_identifier, sequence_number),
                    UNIQUE (event_identifier)
                )""");
        database.jdbc.execute(migration("V21__telemetry.sql"));
        return database;
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

    /** The names of the telemetry table's partitions, in order. */
    List<String> partitions() {
        return jdbc.queryForList("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry' ORDER BY 1""", String.class);
    }

    @Override
    public void close() {
        dataSource.close();
    }

    private static String migration(String file) {
        try (InputStream in = TestDatabase.class.getResourceAsStream("/db/migration/history/" + file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder()
                        .setLocaleConfig("locale", "C")
                        .setLocaleConfig("encoding", "UTF8")
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the embedded PostgreSQL", e);
            }
            EmbeddedPostgres started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (IOException e) {
                    // the JVM is ending; its temporary directory goes with it
                }
            }));
        }
        return server;
    }
}
