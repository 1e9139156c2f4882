package io.twinplatform.deploy;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.async.SequencingPolicy;
import org.axonframework.eventhandling.async.SequentialPerAggregatePolicy;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Per-twin order: a twin's aggregate identifier is its twin id, so sequencing per aggregate keeps each twin's
 * events in order in every streaming processor that names this policy (and Kafka will key records the same way).
 */
@Configuration(proxyBeanMethods = false)
class SequencingConfiguration {

    @Bean
    SequencingPolicy<? super EventMessage<?>> twinSequencingPolicy() {
        return SequentialPerAggregatePolicy.instance();
    }
}
