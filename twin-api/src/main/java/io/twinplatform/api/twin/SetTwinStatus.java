package io.twinplatform.api.twin;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Enables or disables the twin's device, with an optional reason kept in the twin. */
public record SetTwinStatus(@TargetAggregateIdentifier String twinId,
                            TwinStatus status,
                            String reason,
                            Long expectedVersion) implements TwinCommands {
}
