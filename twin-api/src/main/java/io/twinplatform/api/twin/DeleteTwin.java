package io.twinplatform.api.twin;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Deletes the twin. Its events stay (they are the audit trail); a later PUT creates it anew. */
public record DeleteTwin(@TargetAggregateIdentifier String twinId, Long expectedVersion) implements TwinCommands {
}
