package io.twinplatform.api.twin;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * The device channel heard the device connect (its birth message) or lose its connection (its last will):
 * {@code connectionState} is {@code Connected} or {@code Disconnected}. A report of the state the twin shows already
 * changes nothing.
 */
public record ReportConnection(@TargetAggregateIdentifier String twinId,
                               String connectionState) implements TwinCommands {
}
