package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.simulator.DeviceAction.Publish;

import java.util.List;

/**
 * AWS IoT Device Shadow's MQTT topics for the twin (docs/devices.md, "AWS IoT devices"), over a connection of the
 * platform's own credentials, so telemetry, the birth message and the last will stay on the native topics (AWS has no
 * telemetry topic of its own). {@code get} goes to {@code $aws/things/{id}/shadow/get}; a reported patch to
 * {@code …/update} as {@code {"state":{"reported":…},"clientToken":…}}, whose {@code update/accepted} or
 * {@code update/rejected} the device takes as {@code reported/accepted} or {@code reported/rejected}. A desired change
 * arrives as {@code …/update/delta}: what differs from the reported properties, merged here into the desired
 * properties as the last {@code get} gave them and handed to the device whole, with the shadow's {@code version} as
 * its {@code $version} (the twin's version, which only grows, so the device's "newer than held" rule still holds).
 */
final class AwsProtocol implements DeviceProtocol {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final NativeProtocol nativeTopics;
    private final String shadow;
    /** The desired properties as the device knows them, and the shadow version they are of; -1 before {@code get}. */
    private ObjectNode desired = NODES.objectNode();
    private long desiredVersion = -1;

    AwsProtocol(String twinId, DeviceKeys keys) {
        this.nativeTopics = new NativeProtocol(twinId, keys);
        this.shadow = "$aws/things/" + twinId + "/shadow/";
    }

    @Override
    public String userName() {
        return nativeTopics.userName();
    }

    @Override
    public byte[] password() {
        return nativeTopics.password();
    }

    @Override
    public String connectionTopic() {
        return nativeTopics.connectionTopic();
    }

    @Override
    public List<String> subscriptions() {
        return List.of(shadow + "get/accepted", shadow + "get/rejected", shadow + "update/accepted",
                shadow + "update/rejected", shadow + "update/delta");
    }

    @Override
    public void connected() {
    }

    @Override
    public Outgoing outgoing(Publish publish) {
        return switch (publish.kind()) {
            case "get" -> new Outgoing(shadow + "get", NativeProtocol.bytes(publish.payload()));
            case "reported" -> {
                ObjectNode update = NODES.objectNode();
                update.putObject("state").set("reported", DeviceProtocol.withoutToken(publish.payload()));
                if (publish.clientToken() != null) {
                    update.put("clientToken", publish.clientToken());
                }
                yield new Outgoing(shadow + "update", NativeProtocol.bytes(update));
            }
            default -> nativeTopics.outgoing(publish);
        };
    }

    @Override
    public Inbound inbound(String topic, byte[] payload) {
        if (!topic.startsWith(shadow)) {
            return new Ignored();
        }
        ObjectNode document = DeviceProtocol.object(payload, NativeProtocol.JSON);
        if (document == null) {
            return new Ignored();
        }
        return switch (topic.substring(shadow.length())) {
            case "get/accepted" -> new ToDevice("get/accepted", twin(document));
            case "get/rejected" -> new ToDevice("get/rejected", document);
            case "update/accepted" -> new ToDevice("reported/accepted", document);
            case "update/rejected" -> new ToDevice("reported/rejected", document);
            case "update/delta" -> new ToDevice("desired", delta(document));
            default -> new Ignored();
        };
    }

    /** The shadow document as the native twin: {@code properties.desired} (with {@code $version}), {@code reported}. */
    private synchronized ObjectNode twin(ObjectNode document) {
        JsonNode state = document.path("state");
        long version = document.path("version").asLong(-1);
        desired = NODES.objectNode();
        if (state.path("desired").isObject()) {
            DeviceProtocol.merge(desired, state.get("desired"));
        }
        desiredVersion = version;
        ObjectNode twin = NODES.objectNode();
        ObjectNode properties = twin.putObject("properties");
        properties.set("desired", desired.deepCopy().put("$version", version));
        properties.set("reported", state.path("reported").isObject() ? state.get("reported").deepCopy()
                : NODES.objectNode());
        if (document.hasNonNull("clientToken")) {
            twin.set("clientToken", document.get("clientToken"));
        }
        return twin;
    }

    /** A delta, merged into the device's view when newer than it; an older one is handed on as stale. */
    private synchronized ObjectNode delta(ObjectNode document) {
        long version = document.path("version").asLong(-1);
        if (!document.path("state").isObject()) {
            // Nothing to apply: a version the device holds already makes it count the message as stale.
            return NODES.objectNode().put("$version", -1);
        }
        if (version <= desiredVersion) {
            return NODES.objectNode().put("$version", version);
        }
        DeviceProtocol.merge(desired, document.get("state"));
        desiredVersion = version;
        return desired.deepCopy().put("$version", version);
    }
}
