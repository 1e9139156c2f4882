package io.twinplatform.history;

import io.twinplatform.history.kafka.TwinKafkaConfiguration;
import io.twinplatform.history.telemetry.TelemetryConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.FilterType;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;

/**
 * The history side: the history table (one row per twin event), point-in-time reads, a twin's history, the audit
 * trail and its hash chain. On unless {@code twin.history.enabled=false}. Telemetry and the Kafka stream live in this
 * module but are capabilities of their own, with their own switches ({@link TelemetryConfiguration},
 * {@link TwinKafkaConfiguration}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "twin.history.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(HistorySettings.class)
@ComponentScan(value = "io.twinplatform.history", excludeFilters = @ComponentScan.Filter(type = FilterType.REGEX,
        pattern = "io\\.twinplatform\\.history\\.(telemetry|kafka)\\..*"))
@Import(EventFold.class)
public class TwinHistoryConfiguration {

    private static final Logger log = LoggerFactory.getLogger(TwinHistoryConfiguration.class);

    /** The history table, in the dialect {@code twin.history.dialect} chooses; {@code auto} asks the database. */
    @Bean
    TimeSeriesTable historyTable(JdbcTemplate jdbc, HistorySettings settings, TransactionTemplate transaction) {
        boolean timescale = TimescaleChoice.useTimescale(settings.dialect(), jdbc);
        TimeSeriesTable table = TimeSeriesTable.of(HistoryTable.spec(settings), timescale, jdbc, transaction,
                Clock.systemUTC());
        log.info("history table dialect: {}", table.dialect());
        return table;
    }
}
