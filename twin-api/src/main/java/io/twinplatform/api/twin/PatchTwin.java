package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Merge-patches (RFC 7396) tags and/or desired properties; a {@code null} section is left alone. */
public record PatchTwin(@TargetAggregateIdentifier String twinId,
                        ObjectNode tags,
                        ObjectNode desired,
                        Long expectedVersion) implements TwinCommands {
}
