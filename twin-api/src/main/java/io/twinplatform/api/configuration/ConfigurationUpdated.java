package io.twinplatform.api.configuration;

import org.axonframework.serialization.Revision;

import java.util.Map;

/** What may change on a configuration changed: its target condition, priority, metrics and labels, each whole. */
@Revision("1")
public record ConfigurationUpdated(String configurationId,
                                   String targetCondition,
                                   int priority,
                                   Map<String, String> metrics,
                                   Map<String, String> labels,
                                   long version) implements ConfigurationEvent {
}
