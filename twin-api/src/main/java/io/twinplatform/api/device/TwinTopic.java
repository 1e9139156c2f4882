package io.twinplatform.api.device;

import io.twinplatform.api.twin.TwinId;

import java.util.Optional;
import java.util.Set;

/**
 * The MQTT topics of the device channel, which carry the twin id so that any broker can route and authorise them:
 * {@code twins/{deviceId}[/modules/{moduleId}]/{kind}}, where kind is {@code reported}, {@code reported/accepted},
 * {@code reported/rejected}, {@code desired}, {@code delta}, {@code get}, {@code get/accepted},
 * {@code get/rejected}, {@code connection} (birth and last will), {@code methods} (a direct method call) and
 * {@code methods/response} (its answer), {@code telemetry} and {@code telemetry/rejected}.
 * docs/devices.md describes each. The kinds {@code shadow/update} and {@code shadow/delete} (with their
 * {@code …/accepted} and {@code …/rejected}) are AWS Device Shadow requests, which only a broker's edge hands in
 * ({@link #EDGE_KINDS}): no device publishes them on the platform's own topics.
 */
public record TwinTopic(TwinId twinId, String kind) {

    public static final String ROOT = "twins";
    private static final Set<String> KINDS = Set.of("reported", "reported/accepted", "reported/rejected", "desired",
            "delta", "get", "get/accepted", "get/rejected", "connection", "connection/rejected", "telemetry",
            "telemetry/rejected", "methods", "methods/response", "shadow/update", "shadow/update/accepted",
            "shadow/update/rejected", "shadow/delete", "shadow/delete/accepted", "shadow/delete/rejected");
    /** The kinds a device publishes; the rest are the platform's. */
    public static final Set<String> DEVICE_KINDS = Set.of("reported", "get", "connection", "telemetry",
            "methods/response");
    /**
     * The device kinds the twin itself answers ({@code …/accepted} or {@code …/rejected} once what they changed is
     * committed): the write side handles them, and a broker with an edge hands them in. Telemetry is stored apart.
     */
    public static final Set<String> TWIN_KINDS = Set.of("reported", "get", "connection", "shadow/update",
            "shadow/delete");
    /**
     * The twin kinds that come only through a broker's edge, translated from another protocol's topics (AWS's
     * {@code $aws/things/{thing}/shadow/update} and {@code …/delete}): the platform neither subscribes to them nor
     * takes them from a device's publish on {@code twins/…}.
     */
    public static final Set<String> EDGE_KINDS = Set.of("shadow/update", "shadow/delete");

    public TwinTopic {
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("no twin topic kind '" + kind + "'");
        }
    }

    /** The topic's text. */
    public String text() {
        return prefix(twinId) + kind;
    }

    /** The topic of another kind for the same twin: {@code reported} answers on {@code reported/accepted}. */
    public TwinTopic sibling(String otherKind) {
        return new TwinTopic(twinId, otherKind);
    }

    /** The prefix of every topic of {@code twinId}: {@code twins/d1/} or {@code twins/d1/modules/m1/}. */
    public static String prefix(TwinId twinId) {
        return ROOT + "/" + twinId.deviceId() + (twinId.isModule() ? "/modules/" + twinId.moduleId() : "") + "/";
    }

    /** The twin and kind of a topic, or empty when it is not a twin topic or names an invalid id. */
    public static Optional<TwinTopic> parse(String topic) {
        String[] parts = topic.split("/", -1);
        if (parts.length < 3 || !parts[0].equals(ROOT)) {
            return Optional.empty();
        }
        int kindAt = 2;
        String moduleId = null;
        if (parts.length >= 5 && parts[2].equals("modules")) {
            moduleId = parts[3];
            kindAt = 4;
        }
        String kind = String.join("/", java.util.Arrays.copyOfRange(parts, kindAt, parts.length));
        try {
            return Optional.of(new TwinTopic(new TwinId(parts[1], moduleId), kind));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
