package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.JsonNode;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * An AWS Device Shadow update of the twin. For each section, Java {@code null} leaves it alone, a JSON
 * {@code null} clears it, an object merge-patches it. {@code expectedVersion} is the shadow's {@code version}
 * ({@code null}: any). Handled as one unit: both sections change, or neither.
 */
public record UpdateShadow(@TargetAggregateIdentifier String twinId,
                           JsonNode desired,
                           JsonNode reported,
                           Long expectedVersion,
                           String clientToken) implements TwinCommands {
}
