package io.twinplatform.api.configuration;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * Creates a configuration, or changes the members that may change ({@code 422 contentImmutable} if the content
 * differs). {@code expectedVersion} (from {@code If-Match}) guards a change; {@code createOnly} (from
 * {@code If-None-Match: *}) refuses one.
 */
public record PutConfiguration(String configurationId,
                               ConfigurationSpec spec,
                               Long expectedVersion,
                               boolean createOnly) {

    @TargetAggregateIdentifier
    public String aggregateId() {
        return ConfigurationEvent.aggregateId(configurationId);
    }
}
