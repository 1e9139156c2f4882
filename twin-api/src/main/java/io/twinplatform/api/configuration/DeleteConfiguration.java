package io.twinplatform.api.configuration;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Withdraws a configuration; {@code expectedVersion} (from {@code If-Match}) guards it. */
public record DeleteConfiguration(String configurationId, Long expectedVersion) {

    @TargetAggregateIdentifier
    public String aggregateId() {
        return ConfigurationEvent.aggregateId(configurationId);
    }
}
