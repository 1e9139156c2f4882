package io.twinplatform.api.configuration;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Withdraws a configuration; {@code expectedVersion} (from {@code If-Match}) guards it. */
public record DeleteConfiguration(@TargetAggregateIdentifier String configurationId, Long expectedVersion) {
}
