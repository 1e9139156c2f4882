package io.twinplatform.command.configuration;

import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.eventhandling.PropagatingErrorHandler;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

import java.util.concurrent.TimeUnit;

/**
 * The configuration applier's tracking processor, {@value ConfigurationApplier#PROCESSOR}: one thread (events are
 * handled in store order, so a configuration is live before the twins created after it are offered it), batches of
 * up to 100 events (most are device reports it passes over; with 20, its token's commit per batch left it seconds
 * behind a fleet reporting 4,800/s), a short wait for new events, and a failing handler fails the batch (Axon's
 * default would log and skip the event, and a twin would silently miss its configuration).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ConfigurationSettings.class)
public class ConfigurationApplierConfiguration {

    @Autowired
    void configureApplier(EventProcessingConfigurer processing, ConfigurationSettings settings) {
        processing.registerTrackingEventProcessor(ConfigurationApplier.PROCESSOR,
                configuration -> configuration.eventStore(),
                configuration -> TrackingEventProcessorConfiguration.forSingleThreadedProcessing()
                        .andBatchSize(100)
                        .andEventAvailabilityTimeout(settings.pollInterval().toMillis(), TimeUnit.MILLISECONDS));
        processing.registerListenerInvocationErrorHandler(ConfigurationApplier.PROCESSOR,
                configuration -> PropagatingErrorHandler.instance());
    }
}
