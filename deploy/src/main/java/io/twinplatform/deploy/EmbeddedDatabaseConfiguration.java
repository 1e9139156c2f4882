package io.twinplatform.deploy;

import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Starts a real PostgreSQL (embedded binaries) when no {@code spring.datasource.url} is configured. Its files live
 * in {@code <TWIN_DATA_DIR>/postgres} (default {@code ./data/postgres}) and are kept, so a restart keeps every
 * twin. It listens on a free loopback port chosen at start. Set {@code SPRING_DATASOURCE_URL} to use an external
 * PostgreSQL instead.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${spring.datasource.url:}'.isEmpty()")
class EmbeddedDatabaseConfiguration {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabaseConfiguration.class);

    @Bean(destroyMethod = "close")
    EmbeddedPostgres embeddedPostgres(@Value("${twin.data-dir:${TWIN_DATA_DIR:./data}}") String dataDir,
                                      @Value("${twin.embedded.shared-buffers:512MB}") String sharedBuffers) {
        Path directory = Path.of(dataDir, "postgres").toAbsolutePath();
        try {
            Files.createDirectories(directory);
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(directory)
                    .setCleanDataDirectory(false)
                    // Code-point order for text (twin ids, fleet query paging) whatever the machine's locale.
                    .setLocaleConfig("locale", "C")
                    .setLocaleConfig("encoding", "UTF8")
                    .setServerConfig("max_connections", "200")
                    // PostgreSQL's default (128MB) cannot hold the twin documents of a 100k fleet; fleet queries
                    // that scan them then read every page through the operating system.
                    .setServerConfig("shared_buffers", sharedBuffers)
                    // The embedded binaries default to test settings (no synchronous commit): a twin platform's
                    // answered write must survive a crash, so commits wait for the WAL flush.
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    // Checkpoints every 5 minutes or 1 GB of WAL (the defaults) rewrite whole pages into the WAL
                    // after each one; the history projection's replays write gigabytes.
                    .setServerConfig("max_wal_size", "4GB")
                    .setServerConfig("checkpoint_timeout", "15min")
                    .start();
            log.info("embedded PostgreSQL started on port {} with data in {}", postgres.getPort(), directory);
            return postgres;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL in " + directory, e);
        }
    }

    /**
     * The pool over the embedded server, configured by {@code spring.datasource.hikari.*} like a configured
     * database's (pool size, the connection and driver timeouts, batched inserts: see application.yml).
     */
    @Bean
    @ConfigurationProperties("spring.datasource.hikari")
    HikariDataSource dataSource(EmbeddedPostgres postgres) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"));
        dataSource.setUsername("postgres");
        dataSource.setPoolName("twin-embedded");
        return dataSource;
    }
}
