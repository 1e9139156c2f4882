package io.twinplatform.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.simulator.DeviceAction.Publish;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The platform's own protocol: {@code twins/{id}/{kind}} both ways, payloads as the device makes them, user name the
 * twin id and password its device key.
 */
final class NativeProtocol implements DeviceProtocol {

    static final ObjectMapper JSON = new ObjectMapper();

    private final TwinId twinId;
    private final String prefix;
    private final byte[] password;

    NativeProtocol(String twinId, DeviceKeys keys) {
        this.twinId = TwinId.device(twinId);
        this.prefix = TwinTopic.prefix(this.twinId);
        this.password = keys.password(twinId).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String userName() {
        return twinId.value();
    }

    @Override
    public byte[] password() {
        return password.clone();
    }

    @Override
    public String connectionTopic() {
        return topic("connection");
    }

    @Override
    public List<String> subscriptions() {
        return List.of(prefix + "#");
    }

    @Override
    public void connected() {
    }

    @Override
    public Outgoing outgoing(Publish publish) {
        return new Outgoing(topic(publish.kind()), bytes(publish.payload()));
    }

    @Override
    public Inbound inbound(String topic, byte[] payload) {
        if (!topic.startsWith(prefix)) {
            return new Ignored();
        }
        ObjectNode message = DeviceProtocol.object(payload, JSON);
        return message == null ? new Ignored() : new ToDevice(topic.substring(prefix.length()), message);
    }

    /** {@code twins/{id}/{kind}}. */
    String topic(String kind) {
        return new TwinTopic(twinId, kind).text();
    }

    static byte[] bytes(ObjectNode payload) {
        try {
            return JSON.writeValueAsBytes(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }
}
