package io.twinplatform.command.rollout;

import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.config.ConfigurationScopeAwareProvider;
import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.springframework.beans.factory.annotation.Autowired;
import org.axonframework.deadline.DeadlineManager;
import org.axonframework.deadline.SimpleDeadlineManager;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.concurrent.TimeUnit;

/**
 * The deadline manager rollout sagas schedule their soak and phase timeouts with: in memory (see
 * {@link RolloutSaga} for how timers come back after a restart).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(RolloutSettings.class)
public class RolloutConfiguration {

    /**
     * The saga's processor polls for new events every 100 ms once idle (Axon's default wait is a second), so a
     * decision follows an observation promptly.
     */
    @Autowired
    void configureSagaProcessor(EventProcessingConfigurer processing) {
        // Rollouts as GET /rollouts/{id} shows them, written with their events.
        processing.registerSubscribingEventProcessor(RolloutProjection.GROUP);
        processing.registerTrackingEventProcessor(RolloutSaga.class.getSimpleName() + "Processor",
                configuration -> configuration.eventStore(),
                configuration -> TrackingEventProcessorConfiguration.forSingleThreadedProcessing()
                        .andEventAvailabilityTimeout(100, TimeUnit.MILLISECONDS));
    }

    @Bean(destroyMethod = "shutdown")
    DeadlineManager deadlineManager(org.axonframework.config.Configuration axon, TransactionManager transactions) {
        return SimpleDeadlineManager.builder()
                .scopeAwareProvider(new ConfigurationScopeAwareProvider(axon))
                .transactionManager(transactions)
                .build();
    }
}
