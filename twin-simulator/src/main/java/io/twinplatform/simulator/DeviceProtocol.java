package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.simulator.DeviceAction.Publish;

import java.io.IOException;
import java.time.Clock;
import java.util.List;

/**
 * How one device's messages look on the wire in one {@link Protocol}. A {@link SimulatedDevice} thinks in the
 * platform's own terms (a topic kind such as {@code reported} and its native payload); this maps them to the
 * protocol's topics and payloads and back, so that {@link DeviceConnection} has one code path for all protocols.
 * Implementations keep per-connection state (request ids, the desired properties as the device knows them) that is
 * safe to use from the MQTT client's threads.
 */
interface DeviceProtocol {

    /** An MQTT message to publish (QoS 1). */
    record Outgoing(String topic, byte[] payload) {
    }

    /** What an arriving message is: something for the device, an answer to send at once, or nothing. */
    sealed interface Inbound {
    }

    /** A message for {@link SimulatedDevice#received}, in the native topic kind and shape. */
    record ToDevice(String kind, ObjectNode message) implements Inbound {
    }

    /** An answer the connection publishes by itself, such as a direct method's response. */
    record Reply(Outgoing message) implements Inbound {
    }

    /** A message the device does not care about. */
    record Ignored() implements Inbound {
    }

    /** The protocol's implementation for one device. */
    static DeviceProtocol of(Protocol protocol, String twinId, String host, DeviceKeys keys, Clock clock) {
        return switch (protocol) {
            case NATIVE -> new NativeProtocol(twinId, keys);
            case AZURE -> new AzureProtocol(twinId, host, keys, clock);
            case AWS -> new AwsProtocol(twinId, keys);
        };
    }

    String userName();

    /** The password of every connect; Azure's SAS token is made once, valid for a year from the simulator's start. */
    byte[] password();

    /**
     * The native connection topic for the birth message, the last will and the goodbye, or null when the protocol has
     * none (Azure: the broker reports the connection state).
     */
    String connectionTopic();

    /** The topic filters to subscribe to on every connect. */
    List<String> subscriptions();

    /** A new connection: request ids and their pending requests of the last one are forgotten. */
    void connected();

    /** The wire form of the device's message, or null when this protocol does not send it (Azure's birth message). */
    Outgoing outgoing(Publish publish);

    /** What the message on {@code topic} means to the device. */
    Inbound inbound(String topic, byte[] payload);

    /** The payload as a JSON object, or null when it is not one. */
    static ObjectNode object(byte[] payload, ObjectMapper json) {
        try {
            JsonNode node = json.readTree(payload);
            return node instanceof ObjectNode object ? object : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The patch without its {@code clientToken}, which only the native protocol carries in the payload. */
    static ObjectNode withoutToken(ObjectNode payload) {
        ObjectNode copy = payload.deepCopy();
        copy.remove("clientToken");
        return copy;
    }

    /**
     * Applies a JSON merge patch (RFC 7396) to {@code target}: a null removes the key, an object merges into an object,
     * anything else replaces. Keys starting with {@code $} are left out.
     */
    static void merge(ObjectNode target, JsonNode patch) {
        patch.fields().forEachRemaining(field -> {
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (key.startsWith("$")) {
                return;
            }
            if (value.isNull()) {
                target.remove(key);
            } else if (value.isObject()) {
                merge(target.get(key) instanceof ObjectNode existing ? existing : target.putObject(key), value);
            } else {
                target.set(key, value.deepCopy());
            }
        });
    }
}
