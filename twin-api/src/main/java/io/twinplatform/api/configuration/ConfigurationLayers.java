package io.twinplatform.api.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Layering of the configurations that target one twin (Azure's automatic device management): every content key is
 * decided on its own; where several configurations set the same path, the highest priority wins, and a tie goes to the
 * most recently created. Each key replaces its path whole, so a stronger key around a weaker one takes that one's
 * place. What a twin then does with the owners is {@link ConfiguredKeys}' business.
 */
public final class ConfigurationLayers {

    /**
     * One configuration as it applies to a twin: its id, priority, creation order (a later configuration has a higher
     * {@code created}), and its content (keys {@code properties.desired.…}, as {@link ConfigurationContent} accepts).
     */
    public record Layer(String configurationId, int priority, long created, ObjectNode content) {
    }

    /** Weakest first: lower priority, then created earlier; the id makes the order total. */
    private static final Comparator<Layer> WEAKEST_FIRST = Comparator.comparingInt(Layer::priority)
            .thenComparingLong(Layer::created).thenComparing(Layer::configurationId);

    private ConfigurationLayers() {
    }

    /**
     * Which configuration decides each content key: the strongest that sets it. A key that a stronger configuration
     * replaced whole (by setting a path around it) is no longer listed.
     */
    public static Map<String, String> owners(Collection<Layer> layers) {
        Map<String, String> owners = new LinkedHashMap<>();
        layers.stream().sorted(WEAKEST_FIRST).forEach(layer -> each(layer, (key, value) -> {
            owners.keySet().removeIf(other -> other.startsWith(key + "."));
            owners.put(key, layer.configurationId());
        }));
        return owners;
    }

    private interface KeyValue {
        void accept(String key, JsonNode value);
    }

    private static void each(Layer layer, KeyValue action) {
        for (Iterator<Map.Entry<String, JsonNode>> it = layer.content().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            action.accept(entry.getKey(), entry.getValue());
        }
    }
}
