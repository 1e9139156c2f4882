package io.twinplatform.api.model;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinConfigurationStatus;
import io.twinplatform.api.twin.TwinConfigurationsApplied;
import io.twinplatform.api.twin.AlertCleared;
import io.twinplatform.api.twin.AlertRaised;
import io.twinplatform.api.twin.DirectMethodCompleted;
import io.twinplatform.api.twin.DirectMethodInvoked;
import io.twinplatform.api.twin.InvalidStateTransitionReported;
import io.twinplatform.api.twin.TwinConnectionChanged;
import io.twinplatform.api.twin.TwinDeleted;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinReplaced;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.api.twin.TwinStatusChanged;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A twin's state, folded from its events. The aggregate, the projection and point-in-time reads all fold with this
 * one class, so they cannot disagree about what an event means. Time comes from each event's message timestamp.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE, isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public final class TwinState {

    /** What a twin shows until the device channel reports a connection. */
    public static final String DISCONNECTED = TwinConnectionChanged.DISCONNECTED;
    /** The reported property that holds a device's operating state (checked against its state machine). */
    public static final String STATE = "state";
    /** The reported property in which a device says which desired {@code $version} it applied. */
    public static final String CONFIG_VERSION = "configVersion";

    private final String deviceId;
    private final String moduleId;
    private long version;
    private boolean deleted;
    private TwinStatus status;
    private String statusReason;
    private String statusUpdatedTime;
    private String connectionState;
    private String lastActivityTime;
    private ObjectNode tags;
    private TwinSection desired;
    private TwinSection reported;
    private TreeMap<String, TwinConfigurationStatus> configurations = new TreeMap<>();
    /** The last invalid state transition, while the state it led to is the device's current one; else null. */
    private ObjectNode invalidStateTransition;
    /** The raised alerts of computed attributes, by name: each its value, threshold, side and when it was raised. */
    private TreeMap<String, ObjectNode> alerts = new TreeMap<>();

    @JsonCreator
    TwinState(@JsonProperty("deviceId") String deviceId,
              @JsonProperty("moduleId") String moduleId) {
        this.deviceId = deviceId;
        this.moduleId = moduleId;
    }

    /** The state right after {@code event}, which happened at {@code at}. */
    public static TwinState created(TwinCreated event, Instant at) {
        TwinState state = new TwinState(event.deviceId(), event.moduleId());
        state.apply(event, at);
        return state;
    }

    /**
     * Folds one event into this state. Events of other types are ignored, so a reader built today skips event types
     * added later instead of failing.
     */
    public void apply(Object event, Instant at) {
        if (event instanceof TwinCreated e) {
            deleted = false;
            status = TwinStatus.ENABLED;
            statusReason = null;
            statusUpdatedTime = Timestamps.format(at);
            connectionState = DISCONNECTED;
            lastActivityTime = null;
            desired = TwinSection.empty(true, at);
            reported = TwinSection.empty(false, at);
            tags = JsonMergePatch.withoutNulls(e.tags());
            configurations = new TreeMap<>();
            invalidStateTransition = null;
            alerts = new TreeMap<>();
            ObjectNode initial = JsonMergePatch.withoutNulls(e.desired());
            if (!initial.isEmpty()) {
                desired.apply(initial, e.desiredVersion(), at);
            }
            version = e.version();
        } else if (event instanceof TwinReplaced e) {
            if (e.tags() != null) {
                tags = JsonMergePatch.withoutNulls(e.tags());
            }
            if (e.desired() != null) {
                desired.apply(desired.effectiveReplacement(e.desired()), e.desiredVersion(), at);
            }
            version = e.version();
        } else if (event instanceof TwinPatched e) {
            if (e.tags() != null) {
                tags = JsonMergePatch.applyToObject(tags, e.tags());
            }
            if (e.desired() != null) {
                desired.apply(e.desired(), e.desiredVersion(), at);
            }
            version = e.version();
        } else if (event instanceof ReportedPropertiesPatched e) {
            reported.apply(e.patch(), e.reportedVersion(), at);
            lastActivityTime = Timestamps.format(at);
            if (e.patch().has(STATE)) {
                // A new state ends the flag; an invalid transition to it raises the flag again right after.
                invalidStateTransition = null;
            }
            version = e.version();
        } else if (event instanceof TwinConnectionChanged e) {
            connectionState = e.connectionState();
            lastActivityTime = Timestamps.format(at);
            version = e.version();
        } else if (event instanceof InvalidStateTransitionReported e) {
            invalidStateTransition = JsonNodeFactory.instance.objectNode();
            invalidStateTransition.put("from", e.from());
            invalidStateTransition.put("to", e.to());
            invalidStateTransition.put("deviceType", e.deviceType());
            invalidStateTransition.put("at", Timestamps.format(at));
            version = e.version();
        } else if (event instanceof DirectMethodInvoked e) {
            version = e.version();
        } else if (event instanceof AlertRaised e) {
            ObjectNode alert = JsonNodeFactory.instance.objectNode();
            alert.put("value", e.value());
            alert.put("threshold", e.threshold());
            alert.put("side", e.side());
            alert.put("raisedAt", Timestamps.format(at));
            alerts.put(e.name(), alert);
            version = e.version();
        } else if (event instanceof AlertCleared e) {
            alerts.remove(e.name());
            version = e.version();
        } else if (event instanceof DirectMethodCompleted e) {
            if (!DirectMethodCompleted.TIMED_OUT.equals(e.outcome())
                    && !DirectMethodCompleted.NOT_CONNECTED.equals(e.outcome())) {
                // The device answered: it was heard from.
                lastActivityTime = Timestamps.format(at);
            }
            version = e.version();
        } else if (event instanceof TwinStatusChanged e) {
            status = e.status();
            statusReason = e.reason();
            statusUpdatedTime = Timestamps.format(at);
            version = e.version();
        } else if (event instanceof TwinConfigurationsApplied e) {
            if (e.desired() != null && !e.desired().isEmpty()) {
                desired.apply(e.desired(), e.desiredVersion(), at);
            }
            configurations = new TreeMap<>(e.configurations());
            version = e.version();
        } else if (event instanceof TwinDeleted e) {
            deleted = true;
            configurations = new TreeMap<>();
            alerts = new TreeMap<>();
            version = e.version();
        }
    }

    /** Whether the computed attribute {@code name} has a raised alert. */
    public boolean alertRaised(String name) {
        return alerts.containsKey(name);
    }

    /** The configurations that target this twin, as their last {@link TwinConfigurationsApplied} left them. */
    public Map<String, TwinConfigurationStatus> configurations() {
        return Collections.unmodifiableMap(configurations);
    }

    /**
     * A configuration's status as the twin document shows it: Error instead of Applied while the device reports
     * {@code properties.reported.configurations.<id>.status} as {@code "Error"} (any case).
     */
    public String configurationStatus(String configurationId) {
        TwinConfigurationStatus entry = configurations.get(configurationId);
        if (entry == null) {
            return null;
        }
        if (TwinConfigurationStatus.APPLIED.equals(entry.status()) && reportsError(configurationId)) {
            return TwinConfigurationStatus.ERROR;
        }
        return entry.status();
    }

    private boolean reportsError(String configurationId) {
        JsonNode reportedStatus = reported.values().path("configurations").path(configurationId).path("status");
        return reportedStatus.isTextual() && reportedStatus.asText().equalsIgnoreCase(TwinConfigurationStatus.ERROR);
    }

    /** The twin's id, as {@link TwinId#value()} spells it. */
    public String twinId() {
        return new TwinId(deviceId, moduleId).value();
    }

    public String deviceId() {
        return deviceId;
    }

    public String moduleId() {
        return moduleId;
    }

    public long version() {
        return version;
    }

    public boolean deleted() {
        return deleted;
    }

    public String connectionState() {
        return connectionState;
    }

    public TwinStatus status() {
        return status;
    }

    public String statusReason() {
        return statusReason;
    }

    public ObjectNode tags() {
        return tags;
    }

    public TwinSection desired() {
        return desired;
    }

    public TwinSection reported() {
        return reported;
    }

    /** The quoted etag of this version, as HTTP sends it: {@code "12"}. */
    public String etag() {
        return etag(version);
    }

    public static String etag(long version) {
        return "\"" + version + "\"";
    }

    /** The effective patch {@code patch} would make to tags; empty when it changes nothing. */
    public ObjectNode effectiveTagsPatch(ObjectNode patch) {
        return JsonMergePatch.effective(tags, patch);
    }

    /** The twin document users see (Azure's twin JSON plus AWS's {@code delta}). */
    public ObjectNode render() {
        return render(true);
    }

    /**
     * The document of {@link #render()} built on the state's own nodes, without copies: for reading only (a condition
     * evaluated on it), never to keep or change.
     */
    public ObjectNode view() {
        return render(false);
    }

    /** The text of {@link #render()}, written without copying the state's nodes first. */
    public String toJson() {
        return render(false).toString();
    }

    private ObjectNode render(boolean copy) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("deviceId", deviceId);
        doc.put("moduleId", moduleId);
        doc.put("etag", etag());
        doc.put("version", version);
        doc.put("status", status.json());
        if (statusReason != null) {
            doc.put("statusReason", statusReason);
        }
        doc.put("statusUpdatedTime", statusUpdatedTime);
        doc.put("connectionState", connectionState);
        doc.put("lastActivityTime", lastActivityTime);
        doc.set("tags", copy ? tags.deepCopy() : tags);
        ObjectNode properties = doc.putObject("properties");
        properties.set("desired", desired.render(copy));
        properties.set("reported", reported.render(copy));
        ObjectNode delta = Delta.of(desired.values(), reported.values());
        doc.set("delta", delta);
        doc.set("configSync", configSync(delta));
        if (invalidStateTransition != null) {
            doc.set("invalidStateTransition", copy ? invalidStateTransition.deepCopy() : invalidStateTransition);
        }
        if (!alerts.isEmpty()) {
            ObjectNode section = doc.putObject("alerts");
            alerts.forEach((name, alert) -> section.set(name, copy ? alert.deepCopy() : alert));
        }
        if (!configurations.isEmpty()) {
            ObjectNode section = doc.putObject("configurations");
            configurations.forEach((id, entry) -> {
                ObjectNode shown = section.putObject(id);
                shown.put("status", configurationStatus(id));
                if (entry.rolloutId() != null) {
                    shown.put("rolloutId", entry.rolloutId());
                }
                if (entry.phase() != null) {
                    shown.put("phase", entry.phase());
                }
            });
        }
        return doc;
    }

    /** The device's reported state, or null when it reported none (or not as text). */
    public String reportedState() {
        JsonNode value = reported.values().get(STATE);
        return value != null && value.isTextual() ? value.asText() : null;
    }

    /**
     * Whether the device has caught up with its desired properties: the desired {@code $version}, the one the device
     * says it applied ({@code properties.reported.configVersion}, null when it says nothing), and inSync when no
     * desired value differs from its reported one and the device did not say it applied an older version.
     */
    private ObjectNode configSync(ObjectNode delta) {
        ObjectNode sync = JsonNodeFactory.instance.objectNode();
        long desiredVersion = desired.version();
        JsonNode applied = reported.values().get(CONFIG_VERSION);
        sync.put("desiredVersion", desiredVersion);
        if (applied != null && applied.canConvertToExactIntegral()) {
            sync.put("reportedVersion", applied.asLong());
        } else {
            sync.putNull("reportedVersion");
        }
        boolean behind = applied != null && applied.canConvertToExactIntegral() && applied.asLong() < desiredVersion;
        sync.put("inSync", delta.isEmpty() && !behind);
        return sync;
    }

    /** The inverse of {@link #render()}, for readers that keep rendered documents (the projection). */
    public static TwinState fromDocument(ObjectNode doc) {
        TwinState state = new TwinState(doc.path("deviceId").asText(), textOrNull(doc.get("moduleId")));
        state.version = doc.path("version").asLong();
        state.status = TwinStatus.fromJson(doc.path("status").asText());
        state.statusReason = textOrNull(doc.get("statusReason"));
        state.statusUpdatedTime = textOrNull(doc.get("statusUpdatedTime"));
        state.connectionState = textOrNull(doc.get("connectionState"));
        state.lastActivityTime = textOrNull(doc.get("lastActivityTime"));
        state.tags = doc.get("tags") instanceof ObjectNode t ? t.deepCopy() : JsonNodeFactory.instance.objectNode();
        JsonNode properties = doc.path("properties");
        state.desired = TwinSection.parse((ObjectNode) properties.get("desired"), true);
        state.reported = TwinSection.parse((ObjectNode) properties.get("reported"), false);
        if (doc.get("invalidStateTransition") instanceof ObjectNode flag) {
            state.invalidStateTransition = flag.deepCopy();
        }
        if (doc.get("alerts") instanceof ObjectNode raised) {
            raised.fields().forEachRemaining(field -> {
                if (field.getValue() instanceof ObjectNode alert) {
                    state.alerts.put(field.getKey(), alert.deepCopy());
                }
            });
        }
        JsonNode section = doc.get("configurations");
        if (section instanceof ObjectNode shown) {
            shown.fields().forEachRemaining(field -> {
                JsonNode entry = field.getValue();
                String status = entry.path("status").asText();
                // Error is shown over Applied: a device only reports on a configuration it received.
                state.configurations.put(field.getKey(), new TwinConfigurationStatus(
                        TwinConfigurationStatus.ERROR.equals(status) ? TwinConfigurationStatus.APPLIED : status,
                        textOrNull(entry.get("rolloutId")),
                        entry.hasNonNull("phase") ? entry.get("phase").asInt() : null));
            });
        }
        return state;
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
