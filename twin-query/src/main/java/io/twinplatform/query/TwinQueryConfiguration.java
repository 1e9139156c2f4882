package io.twinplatform.query;

import io.twinplatform.query.configuration.ConfigurationProjection;
import io.twinplatform.query.twin.TwinProjection;
import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.axonframework.eventhandling.async.SequentialPerAggregatePolicy;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;

/** The read side and its event processors. On unless {@code twin.query.enabled=false}. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "twin.query.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(TwinQuerySettings.class)
@ComponentScan("io.twinplatform.query")
public class TwinQueryConfiguration {

    /**
     * {@value TwinProjection#GROUP}: tracking, in segments split by twin (a twin's events are folded in order by one
     * thread, twins in parallel). Tracking, not pooled: a pooled processor polls the event store every 500 ms when
     * idle (the JDBC store offers no availability callback), and every write waits for this processor
     * (read-your-writes); a tracking processor blocks on the store and wakes on commit.
     * <p>
     * {@value ConfigurationProjection#GROUP}: subscribing, written in the transaction of its events, so a GET right
     * after a PUT shows the PUT.
     */
    @Autowired
    void configureProcessors(EventProcessingConfigurer processing, TwinQuerySettings settings) {
        TwinQuerySettings.Projection projection = settings.projection();
        processing.registerTrackingEventProcessor(TwinProjection.GROUP, configuration -> configuration.eventStore(),
                configuration -> TrackingEventProcessorConfiguration.forParallelProcessing(projection.threads())
                        .andInitialSegmentsCount(projection.segments())
                        .andBatchSize(projection.batchSize()));
        processing.registerSequencingPolicy(TwinProjection.GROUP,
                configuration -> SequentialPerAggregatePolicy.instance());
        processing.registerSubscribingEventProcessor(ConfigurationProjection.GROUP);
    }
}
