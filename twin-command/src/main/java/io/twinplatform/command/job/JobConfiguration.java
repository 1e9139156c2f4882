package io.twinplatform.command.job;

import io.twinplatform.command.ratelimit.TokenBucket;
import org.axonframework.config.ConfigurerModule;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Bulk twin update jobs: their settings, the one rate limit all jobs share, and how the job table is kept. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(JobSettings.class)
class JobConfiguration {

    /**
     * The job table's handlers subscribe: they run in the transaction that appends a job's events, never lag, and
     * are never replayed (the table also holds the runner's progress, which no event carries).
     */
    @Bean
    ConfigurerModule jobTableProcessor() {
        return configurer -> configurer.eventProcessing(processing ->
                processing.registerSubscribingEventProcessor(JobTable.GROUP));
    }

    /** {@code twin.jobs.max-updates-per-second} for all running jobs of this process together. */
    @Bean
    TokenBucket jobRateLimit(JobSettings settings) {
        return TokenBucket.perSecond(settings.maxUpdatesPerSecond());
    }
}
