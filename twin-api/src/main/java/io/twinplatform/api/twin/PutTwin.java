package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * Creates the twin, or replaces its tags and desired properties whole. {@code expectedVersion} comes from
 * {@code If-Match} ({@code null}: any); {@code createOnly} from {@code If-None-Match: *}. Absent sections are empty.
 */
public record PutTwin(@TargetAggregateIdentifier String twinId,
                      ObjectNode tags,
                      ObjectNode desired,
                      Long expectedVersion,
                      boolean createOnly) implements TwinCommands {
}
