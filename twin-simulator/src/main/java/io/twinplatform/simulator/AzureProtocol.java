package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.device.AzureTopics;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.device.SasToken;
import io.twinplatform.simulator.DeviceAction.Publish;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Azure IoT Hub's MQTT device protocol as Azure's SDKs speak it (docs/devices.md, "Azure IoT Hub devices"): client id
 * the twin id, user name {@code {host}/{id}/?api-version=2021-04-12}, password a SAS token signed with the device's
 * symmetric key of generation 0. Twin requests carry a {@code $rid} and are answered on
 * {@code $iothub/twin/res/{status}/?$rid=…}; the request each rid stands for is remembered here (at most
 * {@value #MAX_PENDING}, then forgotten all at once) and turned back into the native {@code …/accepted} or
 * {@code …/rejected} with the device's client token, so that counters and latency work as for the native protocol.
 * Desired changes arrive as merge patches: they are applied to the desired properties as the last {@code GET} gave
 * them and handed to the device whole, as the native {@code desired} is. Direct methods are answered with 200 and
 * {@code {"method": name, "result": "ok"}}. No birth message or will: Azure's SDKs send none.
 */
final class AzureProtocol implements DeviceProtocol {

    static final String API_VERSION = "2021-04-12";
    /** How long a SAS token made at start is valid: a simulator that runs longer reconnects with a refused token. */
    static final Duration TOKEN_VALIDITY = Duration.ofDays(365);
    private static final String RESPONSES = AzureTopics.TWIN_ANSWERS;
    private static final String DESIRED = AzureTopics.DESIRED_PATCHES;
    private static final String METHODS = AzureTopics.METHOD_CALLS;
    private static final int MAX_PENDING = 1024;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private record Pending(String kind, String clientToken) {
    }

    private final String twinId;
    private final String userName;
    private final byte[] password;
    private final AtomicLong requestIds = new AtomicLong();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    /** The desired properties as the device knows them, and their {@code $version}; -1 before the first GET. */
    private ObjectNode desired = NODES.objectNode();
    private long desiredVersion = -1;

    AzureProtocol(String twinId, String host, DeviceKeys keys, Clock clock) {
        this.twinId = twinId;
        this.userName = host + "/" + twinId + "/?api-version=" + API_VERSION;
        this.password = SasToken.create(host + "/devices/" + twinId, keys.symmetricKey(twinId, 0),
                clock.instant().plus(TOKEN_VALIDITY)).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String userName() {
        return userName;
    }

    @Override
    public byte[] password() {
        return password.clone();
    }

    @Override
    public String connectionTopic() {
        return null;
    }

    @Override
    public List<String> subscriptions() {
        return List.of(RESPONSES + "#", DESIRED + "#", METHODS + "#");
    }

    @Override
    public void connected() {
        pending.clear();
    }

    @Override
    public Outgoing outgoing(Publish publish) {
        return switch (publish.kind()) {
            case "get" -> new Outgoing(AzureTopics.TWIN_GET + "/?$rid=" + request("get", publish), new byte[0]);
            case "reported" -> new Outgoing(AzureTopics.TWIN_PATCH_REPORTED + "/?$rid="
                    + request("reported", publish),
                    NativeProtocol.bytes(DeviceProtocol.withoutToken(publish.payload())));
            case "telemetry" -> new Outgoing("devices/" + twinId + "/messages/events/",
                    NativeProtocol.bytes(publish.payload()));
            default -> null;
        };
    }

    private String request(String kind, Publish publish) {
        if (pending.size() >= MAX_PENDING) {
            pending.clear();
        }
        String rid = Long.toString(requestIds.incrementAndGet());
        pending.put(rid, new Pending(kind, publish.clientToken()));
        return rid;
    }

    @Override
    public Inbound inbound(String topic, byte[] payload) {
        if (topic.startsWith(RESPONSES)) {
            return response(topic, payload);
        }
        if (topic.startsWith(DESIRED)) {
            ObjectNode patch = DeviceProtocol.object(payload, NativeProtocol.JSON);
            return patch == null ? new Ignored() : new ToDevice("desired", desiredPatch(patch));
        }
        if (topic.startsWith(METHODS)) {
            String name = AzureTopics.path(topic).substring(METHODS.length());
            String rid = AzureTopics.query(topic).get("$rid");
            if (rid == null) {
                return new Ignored();
            }
            ObjectNode answer = NODES.objectNode().put("method", name).put("result", "ok");
            return new Reply(new Outgoing(AzureTopics.METHOD_ANSWERS + "200/?$rid=" + rid,
                    NativeProtocol.bytes(answer)));
        }
        return new Ignored();
    }

    /** {@code $iothub/twin/res/{status}/?$rid={rid}[&$version={v}]}: the answer to a GET or a reported patch. */
    private Inbound response(String topic, byte[] payload) {
        Integer status = AzureTopics.status(topic, RESPONSES);
        if (status == null) {
            return new Ignored();
        }
        Map<String, String> values = AzureTopics.query(topic);
        Pending request = values.containsKey("$rid") ? pending.remove(values.get("$rid")) : null;
        if (request == null) {
            return new Ignored();
        }
        boolean ok = status / 100 == 2;
        ObjectNode body = payload.length == 0 ? null : DeviceProtocol.object(payload, NativeProtocol.JSON);
        ObjectNode message = NODES.objectNode();
        if (request.kind().equals("get") && ok && body != null) {
            message.set("properties", twin(body));
        } else if (!ok) {
            message.put("status", status);
            if (body != null) {
                message.set("error", body);
            }
        } else if (values.containsKey("$version")) {
            message.put("reportedVersion", Long.parseLong(values.get("$version")));
        }
        if (request.clientToken() != null) {
            message.put("clientToken", request.clientToken());
        }
        String outcome = ok && (body != null || !request.kind().equals("get")) ? "/accepted" : "/rejected";
        return new ToDevice(request.kind() + outcome, message);
    }

    /** Azure's twin ({@code {"desired": …, "reported": …}}) as the native {@code properties}; the view starts here. */
    private synchronized ObjectNode twin(ObjectNode body) {
        ObjectNode properties = NODES.objectNode();
        JsonNode wanted = body.path("desired");
        properties.set("desired", wanted.isObject() ? wanted.deepCopy() : NODES.objectNode());
        properties.set("reported", body.path("reported").isObject() ? body.get("reported").deepCopy()
                : NODES.objectNode());
        desired = NODES.objectNode();
        DeviceProtocol.merge(desired, properties.get("desired"));
        desiredVersion = wanted.path("$version").asLong(-1);
        return properties;
    }

    /**
     * A desired merge patch, applied to the device's view when newer than it; an older one (Azure's reconnect rule) is
     * handed on as it came, for the device to count as stale.
     */
    private synchronized ObjectNode desiredPatch(ObjectNode patch) {
        long version = patch.path("$version").asLong(-1);
        if (version <= desiredVersion) {
            return patch;
        }
        DeviceProtocol.merge(desired, patch);
        desiredVersion = version;
        ObjectNode whole = desired.deepCopy();
        whole.put("$version", version);
        return whole;
    }

}
