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
 * A real PostgreSQL for the history side's tests: one embedded server per test run, and a new database per test
 * holding the event store's table (as migration V1 makes it) and the telemetry table (migration V21 as Flyway runs
 * it).
 * <p>
 * {@link #timescale()} is the same on a TimescaleDB instead, for the TimescaleDB dialect's tests: the environment
 * variable {@value #TIMESCALE_URL} names the JDBC URL of a database in which {@code CREATE EXTENSION timescaledb} has
 * been run (user and password in the URL or in {@code TWIN_TIMESCALE_USER} / {@code TWIN_TIMESCALE_PASSWORD};
 * {@code postgres} and none by default). Each test gets a schema of its own there, dropped when it closes, since the
 * extension is made once per database. Tests that need it are enabled only where the variable is set
 * ({@code @EnabledIfEnvironmentVariable}); our machines have no TimescaleDB, so there they are reported as skipped.
 */
public final class TestDatabase implements AutoCloseable {

    /** The environment variable naming a TimescaleDB database for {@link #timescale()}. */
    public static final String TIMESCALE_URL = "TWIN_TIMESCALE_URL";

    private static EmbeddedPostgres server;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    public final HikariDataSource dataSource;
    public final JdbcTemplate jdbc;
    public final TransactionTemplate transaction;
    /** The test's own schema on a TimescaleDB, dropped on close; null on the embedded server. */
    private final String schema;

    private TestDatabase(HikariDataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.jdbc = new JdbcTemplate(dataSource);
        this.transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        this.schema = schema;
    }

    public static TestDatabase fresh() {
        EmbeddedPostgres postgres = server();
        String name = "telemetry_" + DATABASES.incrementAndGet();
        new JdbcTemplate(postgres.getPostgresDatabase()).execute("CREATE DATABASE " + name);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.getJdbcUrl("postgres", name));
        config.setUsername("postgres");
        return prepared(config, null);
    }

    /**
     * A new schema, first on the search path, in the TimescaleDB database that {@value #TIMESCALE_URL} names, holding
     * what {@link #fresh()} holds; the history tables ({@link #history()}) on request.
     */
    public static TestDatabase timescale() {
        String url = System.getenv(TIMESCALE_URL);
        if (url == null || url.isBlank()) {
            throw new IllegalStateException(TIMESCALE_URL + " is not set: enable the test only where it is");
        }
        String schema = "twin_test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(System.getenv().getOrDefault("TWIN_TIMESCALE_USER", "postgres"));
        config.setPassword(System.getenv().getOrDefault("TWIN_TIMESCALE_PASSWORD", ""));
        try (HikariDataSource admin = new HikariDataSource(config)) {
            new JdbcTemplate(admin).execute("CREATE SCHEMA " + schema);
        }
        config.setConnectionInitSql("SET search_path TO " + schema + ", public");
        return prepared(config, schema);
    }

    private static TestDatabase prepared(HikariConfig config, String schema) {
        config.setMaximumPoolSize(4);
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        TestDatabase database = new TestDatabase(new HikariDataSource(config), schema);
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

    /** Adds the history tables: {@code twin_history} and its head (migration V7), baseline and mark (V9). */
    public TestDatabase history() {
        jdbc.execute(migration("V7__twin_history.sql"));
        jdbc.execute(migration("V9__history_baseline_and_past_fleet.sql"));
        return this;
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

    /** The telemetry table as a TimescaleDB hypertable (on {@link #timescale()}), with {@code settings} and {@code clock}. */
    TimeSeriesTable telemetryHypertable(TelemetrySettings settings, Clock clock) {
        return TimeSeriesTable.of(TelemetryTable.spec(settings), true, jdbc, transaction, clock);
    }

    @Override
    public void close() {
        if (schema != null) {
            jdbc.execute("DROP SCHEMA " + schema + " CASCADE");
        }
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
