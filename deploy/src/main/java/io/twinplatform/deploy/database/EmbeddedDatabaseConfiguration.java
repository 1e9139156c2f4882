package io.twinplatform.deploy.database;

import com.zaxxer.hikari.HikariDataSource;
import io.twinplatform.deploy.DataSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Starts a real PostgreSQL (embedded binaries, {@link EmbeddedDatabase}) when no {@code spring.datasource.url} is
 * configured. Its files live in {@code <TWIN_DATA_DIR>/postgres} (default {@code ./data/postgres}) and are kept, so a
 * restart keeps every twin; its password is in {@code <TWIN_DATA_DIR>/postgres-password} (0600). It listens on a free
 * port on localhost chosen at start. {@code twin.embedded.startup-timeout} (default 5m) bounds the wait for it to
 * take connections, crash recovery included. Set {@code SPRING_DATASOURCE_URL} to use an external PostgreSQL instead.
 *
 * <p>The database is the last thing to stop: the {@link DataSource} depends on it, so Spring closes it only after
 * every bean that uses the database, which is after the web server drained and the event processors and the MQTT
 * broker stopped (their lifecycle phases come first).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${spring.datasource.url:}'.isEmpty()")
@EnableConfigurationProperties(EmbeddedDatabaseSettings.class)
class EmbeddedDatabaseConfiguration {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabaseConfiguration.class);

    @Bean(destroyMethod = "close")
    EmbeddedDatabase embeddedDatabase(DataSettings data, EmbeddedDatabaseSettings settings) {
        Map<String, String> server = new LinkedHashMap<>();
        server.put("max_connections", "200");
        server.put("shared_buffers", settings.sharedBuffers());
        // The embedded binaries default to test settings (no synchronous commit): a twin platform's answered write
        // must survive a crash, so commits wait for the WAL flush.
        server.put("fsync", "on");
        server.put("synchronous_commit", "on");
        server.put("full_page_writes", "on");
        // Checkpoints every 5 minutes or 1 GB of WAL (the defaults) rewrite whole pages into the WAL after each one;
        // the history projection's replays write gigabytes.
        server.put("max_wal_size", "4GB");
        server.put("checkpoint_timeout", "15min");
        Path directory = data.path().toAbsolutePath();
        EmbeddedDatabase database = EmbeddedDatabase.start(directory, server, settings.startupTimeout());
        log.info("embedded PostgreSQL started on localhost port {} with data in {}", database.port(),
                directory.resolve("postgres"));
        return database;
    }

    /**
     * The pool over the embedded server, configured by {@code spring.datasource.hikari.*} like a configured
     * database's (pool size, the connection and driver timeouts, batched inserts: see application.yml).
     */
    @Bean
    @ConfigurationProperties("spring.datasource.hikari")
    HikariDataSource dataSource(EmbeddedDatabase database) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(database.jdbcUrl());
        dataSource.setUsername(EmbeddedDatabase.USER);
        dataSource.setPassword(database.password());
        dataSource.setPoolName("twin-embedded");
        return dataSource;
    }
}
