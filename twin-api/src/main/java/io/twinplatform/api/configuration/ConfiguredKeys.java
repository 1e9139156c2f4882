package io.twinplatform.api.configuration;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.JsonMergePatch;
import io.twinplatform.api.model.JsonValues;
import io.twinplatform.api.twin.ConfiguredKey;
import io.twinplatform.api.twin.ReleasedKey;
import io.twinplatform.api.twin.TwinConfigurationStatus;
import io.twinplatform.api.twin.TwinConfigurationsApplied;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The desired keys that configurations decide on one twin, with what each replaced: the twin aggregate's memory of
 * its configurations, folded from {@link TwinConfigurationsApplied}. {@link #decide} works out what a new set of
 * targeting configurations changes. The rules:
 * <ul>
 *   <li>Each key goes to the strongest configuration that sets it ({@link ConfigurationLayers}). When that decision
 *   changes (another owner or another value), the key is written, whatever it holds; a manual change to a configured
 *   key lasts until the next such decision.</li>
 *   <li>A key no configuration decides any more is removed, or on a rollback of the rollout that set it, given back
 *   the value it had before (when that value was not itself a configuration's) — but only while it still holds the
 *   value the configuration set. A key someone else changed since is left as it is ({@link ReleasedKey#KEPT}).</li>
 * </ul>
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE, isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public final class ConfiguredKeys {

    private final LinkedHashMap<String, ConfiguredKey> keys;
    private TreeMap<String, TwinConfigurationStatus> statuses;

    public ConfiguredKeys() {
        this(new LinkedHashMap<>(), new TreeMap<>());
    }

    @JsonCreator
    ConfiguredKeys(@JsonProperty("keys") LinkedHashMap<String, ConfiguredKey> keys,
                   @JsonProperty("statuses") TreeMap<String, TwinConfigurationStatus> statuses) {
        this.keys = keys == null ? new LinkedHashMap<>() : keys;
        this.statuses = statuses == null ? new TreeMap<>() : statuses;
    }

    /** A configuration that targets the twin, with the phase of the rollout that admitted it (or null). */
    public record Targeting(ConfigurationCandidate candidate, Integer phase) {
    }

    /** What {@link #decide} found: the new statuses, the keys taken and released, and the desired merge patch. */
    public record Decision(Map<String, TwinConfigurationStatus> statuses, List<ConfiguredKey> configured,
                           List<ReleasedKey> released, ObjectNode desiredPatch) {

        public boolean changesNothing(Map<String, TwinConfigurationStatus> before) {
            return configured.isEmpty() && released.isEmpty() && statuses.equals(before);
        }
    }

    /**
     * What the configurations in {@code targeting} make of a twin whose desired values are {@code desired} now.
     * Changes nothing here; the caller applies the event that {@link #apply} then folds.
     */
    public Decision decide(Collection<Targeting> targeting, ObjectNode desired, String revertRolloutId) {
        List<ConfigurationLayers.Layer> layers = targeting.stream().map(t -> t.candidate().layer()).toList();
        Map<String, String> owners = ConfigurationLayers.owners(layers);
        Map<String, ConfigurationCandidate> byId = new LinkedHashMap<>();
        targeting.forEach(t -> byId.put(t.candidate().configurationId(), t.candidate()));

        Set<String> allKeys = new LinkedHashSet<>(keys.keySet());
        allKeys.addAll(owners.keySet());
        List<ConfiguredKey> configured = new ArrayList<>();
        List<ReleasedKey> released = new ArrayList<>();
        ObjectNode after = desired.deepCopy();
        List<Runnable> writes = new ArrayList<>();
        for (String key : allKeys) {
            String[] segments = ConfigurationContent.segments(key);
            JsonNode current = at(desired, segments);
            ConfiguredKey old = keys.get(key);
            String owner = owners.get(key);
            if (owner == null) {
                released.add(release(old, current, segments, revertRolloutId, after));
                continue;
            }
            ConfigurationCandidate candidate = byId.get(owner);
            JsonNode value = candidate.content().get(key);
            if (old != null && old.configurationId().equals(owner) && same(old.value(), value)) {
                continue;
            }
            boolean stillOld = old != null && same(current, old.value());
            configured.add(new ConfiguredKey(key, owner, rolloutOf(candidate), value.deepCopy(),
                    current == null ? null : current.deepCopy(), stillOld ? old.configurationId() : null));
            writes.add(() -> ConfigurationContent.put(after, segments, value));
        }
        // Releases first, so a key taken whole is not then cut by the removal of a key inside it.
        writes.forEach(Runnable::run);

        TreeMap<String, TwinConfigurationStatus> statuses = new TreeMap<>();
        for (Targeting t : targeting) {
            ConfigurationCandidate c = t.candidate();
            boolean applied = c.content().isEmpty() || owners.containsValue(c.configurationId());
            statuses.put(c.configurationId(), new TwinConfigurationStatus(
                    applied ? TwinConfigurationStatus.APPLIED : TwinConfigurationStatus.TARGETED,
                    rolloutOf(c), t.phase()));
        }
        return new Decision(statuses, configured, released, JsonMergePatch.diff(desired, after));
    }

    private static ReleasedKey release(ConfiguredKey old, JsonNode current, String[] segments, String revertRolloutId,
                                       ObjectNode after) {
        if (!same(current, old.value())) {
            return new ReleasedKey(old.key(), old.configurationId(), ReleasedKey.KEPT);
        }
        boolean revert = revertRolloutId != null && revertRolloutId.equals(old.rolloutId())
                && old.previousConfigurationId() == null && old.previous() != null;
        if (revert) {
            ConfigurationContent.put(after, segments, old.previous());
            return new ReleasedKey(old.key(), old.configurationId(), ReleasedKey.RESTORED);
        }
        remove(after, segments);
        return new ReleasedKey(old.key(), old.configurationId(), ReleasedKey.REMOVED);
    }

    /** Folds an applied event: keys taken replace their entries, released keys are forgotten. */
    public void apply(TwinConfigurationsApplied event) {
        event.released().forEach(r -> keys.remove(r.key()));
        event.configured().forEach(k -> keys.put(k.key(), k));
        statuses = new TreeMap<>(event.configurations());
    }

    public Map<String, TwinConfigurationStatus> statuses() {
        return statuses;
    }

    public Map<String, ConfiguredKey> keys() {
        return keys;
    }

    private static String rolloutOf(ConfigurationCandidate candidate) {
        return candidate.admission() == null ? null : candidate.admission().rolloutId();
    }

    private static boolean same(JsonNode a, JsonNode b) {
        return a == null || b == null ? a == b : JsonValues.same(a, b);
    }

    private static void remove(ObjectNode root, String[] segments) {
        JsonNode parent = root;
        for (int i = 0; i < segments.length - 1 && parent != null; i++) {
            parent = parent.get(segments[i]);
        }
        if (parent instanceof ObjectNode object) {
            object.remove(segments[segments.length - 1]);
        }
    }

    private static JsonNode at(ObjectNode root, String[] segments) {
        JsonNode node = root;
        for (String segment : segments) {
            node = node == null ? null : node.get(segment);
        }
        return node == null || node.isNull() ? null : node;
    }
}
