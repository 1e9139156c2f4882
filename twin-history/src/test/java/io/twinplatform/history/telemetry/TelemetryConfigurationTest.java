package io.twinplatform.history.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.history.HistorySettings;
import io.twinplatform.history.TimeSeriesTable;
import org.axonframework.commandhandling.SimpleCommandBus;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.commandhandling.gateway.DefaultCommandGateway;
import org.axonframework.queryhandling.DefaultQueryGateway;
import org.axonframework.queryhandling.QueryGateway;
import org.axonframework.queryhandling.SimpleQueryBus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The telemetry side as the history side's component scan assembles it, on a real PostgreSQL: its defaults and
 * settings, the dialect that {@code twin.history.dialect} chooses, the partitions ready at start-up, and a quiet
 * start without an MQTT client.
 */
class TelemetryConfigurationTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(HistorySettings.class)
    static class HistorySide {
    }

    private final TelemetryDatabase db = TelemetryDatabase.fresh();
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withUserConfiguration(HistorySide.class, TelemetryConfiguration.class, TelemetryStore.class,
                    TelemetryRetention.class, TelemetryInbound.class, TelemetryController.class)
            .withBean(JdbcTemplate.class, () -> db.jdbc)
            .withBean(TransactionTemplate.class, () -> db.transaction)
            .withBean(ObjectMapper.class, ObjectMapper::new)
            .withBean(ThreadPoolTaskScheduler.class, ThreadPoolTaskScheduler::new)
            .withBean(CommandGateway.class, () -> DefaultCommandGateway.builder()
                    .commandBus(SimpleCommandBus.builder().build()).build())
            .withBean(QueryGateway.class, () -> DefaultQueryGateway.builder()
                    .queryBus(SimpleQueryBus.builder().build()).build());

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void startsOnNativeDayPartitionsFromTheNinetyDayHorizonToAWeekAhead() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(TelemetrySettings.class)).isEqualTo(TelemetrySettings.defaults());
            assertThat(context.getBean("telemetryTable", TimeSeriesTable.class).dialect()).isEqualTo("native");
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            assertThat(db.partitions()).hasSize(98).first().isEqualTo(partition(today.minusDays(90)));
            assertThat(db.partitions()).last().isEqualTo(partition(today.plusDays(7)));
        });
    }

    @Test
    void takesItsSettingsFromTwinTelemetry() {
        runner.withPropertyValues("twin.telemetry.retention=3d", "twin.telemetry.partitions-ahead=1",
                "twin.telemetry.batch-size=500").run(context -> {
            TelemetrySettings settings = context.getBean(TelemetrySettings.class);
            assertThat(settings.retention()).isEqualTo(Duration.ofDays(3));
            assertThat(settings.batchSize()).isEqualTo(500);
            assertThat(db.partitions()).hasSize(5);
        });
    }

    @Test
    void refusesTimescaleWhereTheExtensionIsNotInstalled() {
        runner.withPropertyValues("twin.history.dialect=timescale").run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("timescaledb extension is not"
                        + " installed"));
    }

    @Test
    void refusesASettingThatCannotWork() {
        runner.withPropertyValues("twin.telemetry.batch-size=0").run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("twin.telemetry"));
    }

    private static String partition(LocalDate day) {
        return "telemetry_p" + DateTimeFormatter.BASIC_ISO_DATE.format(day);
    }
}
