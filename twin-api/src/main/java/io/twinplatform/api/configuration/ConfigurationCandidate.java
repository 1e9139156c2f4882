package io.twinplatform.api.configuration;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A live configuration as offered to one twin: its target condition (the twin evaluates it), priority, creation time
 * (epoch milliseconds; the later one wins a priority tie), the content for the twin's kind (device or module content,
 * keys {@code properties.desired.…}) and, for a staged configuration, its {@link Admission} ({@code null}: every
 * targeted twin).
 */
public record ConfigurationCandidate(String configurationId,
                                     int priority,
                                     long created,
                                     String targetCondition,
                                     ObjectNode content,
                                     Admission admission) {

    public ConfigurationLayers.Layer layer() {
        return new ConfigurationLayers.Layer(configurationId, priority, created, content);
    }
}
