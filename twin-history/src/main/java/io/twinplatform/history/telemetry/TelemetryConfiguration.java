package io.twinplatform.history.telemetry;

import io.twinplatform.history.HistorySettings;
import io.twinplatform.history.TimeSeriesTable;
import io.twinplatform.history.TimescaleChoice;
import io.twinplatform.history.TimescaleJobs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;

/**
 * Device telemetry: the {@code telemetry} table and its retention, the MQTT ingest ({@link TelemetryInbound}, handed
 * messages by the device reader when the process has an MQTT client), {@code GET /twins/{id}/telemetry}, and the
 * computed attributes computed from it ({@code io.twinplatform.history.computed}). A capability of its own: on unless
 * {@code twin.telemetry.enabled=false}, whether the history side runs or not (its table only follows
 * {@code twin.history.dialect}; on TimescaleDB its policy jobs are watched by {@link TimescaleJobs}, as the history
 * table's are).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "twin.telemetry.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties({TelemetrySettings.class, HistorySettings.class})
@ComponentScan({"io.twinplatform.history.telemetry", "io.twinplatform.history.computed"})
@Import(TimescaleJobs.class)
public class TelemetryConfiguration {

    private static final Logger log = LoggerFactory.getLogger(TelemetryConfiguration.class);

    /**
     * The telemetry table, in the dialect {@code twin.history.dialect} chooses for the history table too, so both
     * tables live the same way; {@code auto} asks the database.
     */
    @Bean
    TimeSeriesTable telemetryTable(JdbcTemplate jdbc, HistorySettings history, TelemetrySettings settings,
                                   TransactionTemplate transaction) {
        boolean timescale = TimescaleChoice.useTimescale(history.dialect(), jdbc);
        TimeSeriesTable table = TimeSeriesTable.of(TelemetryTable.spec(settings), timescale, jdbc, transaction,
                Clock.systemUTC());
        log.info("telemetry table dialect: {}", table.dialect());
        return table;
    }
}
