package io.twinplatform.history.kafka;

import io.twinplatform.history.TwinStates;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.history.EventFold;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.eventhandling.PropagatingErrorHandler;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.axonframework.eventhandling.async.SequentialPerAggregatePolicy;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Kafka stream of twin events: on when {@code twin.kafka.bootstrap-servers} is set ({@code TWIN_KAFKA_BOOTSTRAP}),
 * whether the history side runs or not.
 * Its tracking processor, {@value KafkaPublisher#PROCESSOR}, is configured here rather than in application.yml: it
 * needs a shorter wait for new events than Axon's properties can set, and a handler's failure must fail the batch
 * (Axon's default would log it and move on, skipping the event).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("!'${twin.kafka.bootstrap-servers:}'.trim().isEmpty()")
@EnableConfigurationProperties(KafkaSettings.class)
@Import(EventFold.class)
public class TwinKafkaConfiguration {

    @Autowired
    void configurePublisher(EventProcessingConfigurer processing, KafkaSettings settings) {
        processing.registerTrackingEventProcessor(KafkaPublisher.PROCESSOR, configuration -> configuration.eventStore(),
                configuration -> TrackingEventProcessorConfiguration.forParallelProcessing(settings.threads())
                        .andInitialSegmentsCount(settings.threads())
                        .andBatchSize(settings.batchSize())
                        .andEventAvailabilityTimeout(settings.pollInterval().toMillis(), TimeUnit.MILLISECONDS));
        processing.registerSequencingPolicy(KafkaPublisher.PROCESSOR,
                configuration -> SequentialPerAggregatePolicy.instance());
        processing.registerListenerInvocationErrorHandler(KafkaPublisher.PROCESSOR,
                configuration -> PropagatingErrorHandler.instance());
    }

    @Bean
    KafkaClients kafkaClients(KafkaSettings settings) {
        return new KafkaClients(settings);
    }

    /** Computed values to the computed topic, when the platform computes them (docs/predictive.md). */
    @Bean
    ComputedValuePublisher computedValuePublisher(KafkaSettings settings, KafkaClients clients) {
        return new ComputedValuePublisher(settings, clients);
    }

    @Bean
    KafkaPublisher kafkaPublisher(KafkaSettings settings, KafkaClients clients, EventFold fold, MeterRegistry meters) {
        return new KafkaPublisher(settings, clients, new TwinCloudEvents(TwinJson.newMapper(), settings.source()),
                new TwinStates(fold, settings.cacheSize(), meters));
    }

    /** The stream, and its lag as the gauge {@code twin.kafka.lag} (what {@code GET /admin/kafka} shows as lag). */
    @Bean
    KafkaStream kafkaStream(KafkaPublisher publisher, EventProcessingConfiguration processing, EventStore events,
                            MeterRegistry meters) {
        KafkaStream stream = new KafkaStream(publisher, processing, events);
        Gauge.builder("twin.kafka.lag", stream, KafkaStream::lag)
                .description("events in the store that Kafka has not acknowledged yet")
                .register(meters);
        return stream;
    }

    /** DOWN while the stream is stalled or stopped; the platform stays ready (readiness does not include it). */
    @Bean
    HealthIndicator kafkaPublisherHealthIndicator(KafkaStream stream) {
        return () -> {
            Map<String, Object> details = stream.describe();
            Object state = details.get("state");
            Health.Builder health = "running".equals(state) || "replaying".equals(state) ? Health.up() : Health.down();
            return health.withDetails(details).build();
        };
    }
}
