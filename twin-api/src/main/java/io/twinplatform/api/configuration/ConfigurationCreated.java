package io.twinplatform.api.configuration;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.serialization.Revision;

import java.util.Map;

/**
 * A configuration came into being (first time, or again after a delete), as {@link ConfigurationSpec} reads it: the
 * content keys are paths under {@code properties.desired}. Its creation time, which breaks priority ties, is the
 * event's timestamp. A {@code staged} configuration sets nothing until a rollout admits twins to it.
 */
@Revision("1")
public record ConfigurationCreated(String configurationId,
                                   String targetCondition,
                                   int priority,
                                   ObjectNode deviceContent,
                                   ObjectNode moduleContent,
                                   Map<String, String> metrics,
                                   Map<String, String> labels,
                                   boolean staged,
                                   long version) implements ConfigurationEvent {
}
