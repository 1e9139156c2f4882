package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.JsonNode;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Records that a direct method is being called on the twin's device ({@link DirectMethodInvoked}). */
public record InvokeDirectMethod(@TargetAggregateIdentifier String twinId, String requestId, String methodName,
                                 JsonNode payload, int responseTimeoutSeconds) implements TwinCommands {
}
