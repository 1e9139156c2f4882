package io.twinplatform.api.twin;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Raises a computed attribute's alert on a twin ({@link AlertRaised}); nothing when it is raised already. */
public record RaiseAlert(@TargetAggregateIdentifier String twinId, String name, double value, double threshold,
                         String side, String computedAt) implements TwinCommands {
}
