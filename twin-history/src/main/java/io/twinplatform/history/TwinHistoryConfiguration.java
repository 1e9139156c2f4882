package io.twinplatform.history;

import io.twinplatform.history.audit.AuditChain;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.history.kafka.KafkaSettings;
import io.twinplatform.history.kafka.TwinCloudEvents;
import io.twinplatform.history.kafka.TwinKafkaConfiguration;
import io.twinplatform.history.live.LiveEvents;
import io.twinplatform.history.telemetry.TelemetryConfiguration;
import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.axonframework.eventhandling.async.SequentialPerAggregatePolicy;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.slf4j.Logger;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
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

import java.net.URI;
import java.time.Clock;

/**
 * The history side: the history table (one row per twin event), point-in-time reads, a twin's history, the audit
 * trail and its hash chain. On unless {@code twin.history.enabled=false}. Telemetry and the Kafka stream live in this
 * module but are capabilities of their own, with their own switches ({@link TelemetryConfiguration}, which also
 * computes the computed attributes,
 * {@link TwinKafkaConfiguration}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "twin.history.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(HistorySettings.class)
@ComponentScan(value = "io.twinplatform.history", excludeFilters = @ComponentScan.Filter(type = FilterType.REGEX,
        pattern = "io\\.twinplatform\\.history\\.(telemetry|kafka|computed)\\..*"))
@Import(EventFold.class)
public class TwinHistoryConfiguration {

    private static final Logger log = LoggerFactory.getLogger(TwinHistoryConfiguration.class);

    /**
     * {@value HistoryProjection#GROUP}: tracking, in segments split by twin, with a token of its own (a replay of the
     * current state does not touch it). {@value AuditChain#GROUP}: tracking, one thread and one segment, since the
     * hash chain is one sequence; its handler refuses a replay ({@code @DisallowReplay}): the chain is append-only.
     */
    @Autowired
    void configureProcessors(EventProcessingConfigurer processing, HistorySettings settings) {
        processing.registerTrackingEventProcessor(HistoryProjection.GROUP, configuration -> configuration.eventStore(),
                configuration -> TrackingEventProcessorConfiguration.forParallelProcessing(settings.threads())
                        .andInitialSegmentsCount(settings.segments())
                        .andBatchSize(settings.batchSize()));
        processing.registerSequencingPolicy(HistoryProjection.GROUP,
                configuration -> SequentialPerAggregatePolicy.instance());
        processing.registerTrackingEventProcessor(AuditChain.GROUP, configuration -> configuration.eventStore(),
                configuration -> TrackingEventProcessorConfiguration.forSingleThreadedProcessing().andBatchSize(500));
    }

    /**
     * The live streams of {@code GET /events}, with the CloudEvents {@code source} of the Kafka stream when it runs
     * ({@code twin.kafka.source}), else its default.
     */
    @Bean(destroyMethod = "destroy")
    LiveEvents liveEvents(EventStore events, EventFold fold, ObjectProvider<KafkaSettings> kafka) {
        KafkaSettings settings = kafka.getIfAvailable();
        URI source = settings == null ? URI.create("/twin-platform") : settings.source();
        return new LiveEvents(events, fold, new TwinCloudEvents(TwinJson.newMapper(), source));
    }

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
