package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * The device's merge patch of its reported properties. A non-null {@code idempotencyKey} already seen for this
 * twin makes the command a no-op (a QoS 1 redelivery or an HTTP retry).
 */
public record PatchReportedProperties(@TargetAggregateIdentifier String twinId,
                                      ObjectNode patch,
                                      String idempotencyKey) implements TwinCommands {
}
