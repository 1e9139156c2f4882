package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.JsonNode;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Records how a direct method call ended ({@link DirectMethodCompleted}). */
public record CompleteDirectMethod(@TargetAggregateIdentifier String twinId, String requestId, String methodName,
                                   String outcome, Integer status, JsonNode payload, long durationMillis)
        implements TwinCommands {
}
