package io.twinplatform.api.twin;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Clears a computed attribute's raised alert on a twin ({@link AlertCleared}); nothing when it is not raised. */
public record ClearAlert(@TargetAggregateIdentifier String twinId, String name, double value, double threshold,
                         String computedAt) implements TwinCommands {
}
