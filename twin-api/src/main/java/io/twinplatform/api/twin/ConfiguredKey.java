package io.twinplatform.api.twin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A desired key that a configuration now decides on a twin, and what it held before: {@code previous} is the value
 * right before this write ({@code null}: the key was absent), {@code previousConfigurationId} the configuration that
 * had set that value ({@code null}: an operator, a job or the twin's creation did). A rollback restores
 * {@code previous} only when no configuration had set it.
 *
 * @param key a content key, {@code properties.desired.<path>}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConfiguredKey(String key, String configurationId, String rolloutId, JsonNode value,
                            JsonNode previous, String previousConfigurationId) {

    public ConfiguredKey {
        previous = previous == null || previous.isNull() ? null : previous;
    }
}
