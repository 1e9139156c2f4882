package io.twinplatform.testsupport.database;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL for a side's integration tests, as the platform runs on: one embedded server per test JVM
 * (started on first use, stopped when the JVM ends), and a new database for each {@link #fresh} holding the tables
 * that Flyway makes from the given migration locations, so tests never see each other's rows.
 * <p>
 * A side names its own migrations ({@link #QUERY}, {@link #HISTORY}) and adds {@link #PLATFORM} (the event store's
 * tables) when it reads them. Locations are classpath folders; Flyway runs their migrations together in version
 * order, as the platform does.
 */
public final class TestDatabase implements AutoCloseable {

    /** The platform's own migrations: Axon's event store, token and saga tables, projection faults, keys. */
    public static final String PLATFORM = "db/migration/platform";
    /** The write side's tables. */
    public static final String COMMAND = "db/migration/command";
    /** The read side's tables: twin documents, fleet views, configuration documents. */
    public static final String QUERY = "db/migration/query";
    /** The history side's tables: history, baseline, audit chain, telemetry. */
    public static final String HISTORY = "db/migration/history";

    private static EmbeddedPostgres server;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    /**
     * The environment variable naming a TimescaleDB database for {@link #timescale}: the JDBC URL of a database in
     * which {@code CREATE EXTENSION timescaledb} has been run (user and password in {@code TWIN_TIMESCALE_USER} /
     * {@code TWIN_TIMESCALE_PASSWORD}; {@code postgres} and none by default). Tests that need it are enabled only where
     * it is set ({@code @EnabledIfEnvironmentVariable}); our machines have no TimescaleDB, so there they are skipped.
     */
    public static final String TIMESCALE_URL = "TWIN_TIMESCALE_URL";

    private final HikariDataSource dataSource;
    private final JdbcTemplate jdbc;
    private final DataSourceTransactionManager transactions;
    private final TransactionTemplate transaction;
    /** The test's own schema on a TimescaleDB, dropped on close; null on the embedded server. */
    private final String schema;

    private TestDatabase(HikariDataSource dataSource, String schema) {
        this.schema = schema;
        this.dataSource = dataSource;
        this.jdbc = new JdbcTemplate(dataSource);
        this.transactions = new DataSourceTransactionManager(dataSource);
        this.transaction = new TransactionTemplate(transactions);
    }

    /**
     * A new, empty database with the migrations of {@code locations} applied, behind a pool of 4 connections that
     * send batched INSERTs as multi-row INSERTs (as the platform's pool does).
     *
     * @throws UncheckedIOException when the embedded server cannot start
     * @throws org.flywaydb.core.api.FlywayException when a migration fails
     */
    public static TestDatabase fresh(String... locations) {
        EmbeddedPostgres postgres = server();
        String name = "test_" + DATABASES.incrementAndGet();
        new JdbcTemplate(postgres.getPostgresDatabase()).execute("CREATE DATABASE " + name);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.getJdbcUrl("postgres", name));
        config.setUsername("postgres");
        return migrated(config, null, locations);
    }

    /**
     * The same on the TimescaleDB that {@value #TIMESCALE_URL} names: a new schema there, first on the search path and
     * dropped on close (the extension is made once per database), with the migrations of {@code locations} applied in
     * it.
     *
     * @throws IllegalStateException when the variable is not set
     */
    public static TestDatabase timescale(String... locations) {
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
        return migrated(config, schema, locations);
    }

    private static TestDatabase migrated(HikariConfig config, String schema, String... locations) {
        config.setMaximumPoolSize(4);
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        HikariDataSource dataSource = new HikariDataSource(config);
        try {
            var flyway = Flyway.configure()
                    .dataSource(dataSource)
                    .locations(Arrays.stream(locations).map(location -> "classpath:" + location).toArray(String[]::new));
            if (schema != null) {
                flyway.schemas(schema).defaultSchema(schema);
            }
            flyway.load().migrate();
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        return new TestDatabase(dataSource, schema);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public JdbcTemplate jdbc() {
        return jdbc;
    }

    public PlatformTransactionManager transactions() {
        return transactions;
    }

    /** A template for read-write transactions with the defaults (propagation required, no timeout). */
    public TransactionTemplate transaction() {
        return transaction;
    }

    /** Closes the pool; the database stays on the server until the JVM ends. */
    @Override
    public void close() {
        if (schema != null) {
            jdbc.execute("DROP SCHEMA " + schema + " CASCADE");
        }
        dataSource.close();
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
