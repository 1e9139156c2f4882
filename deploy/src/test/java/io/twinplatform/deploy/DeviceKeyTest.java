package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** One device's MQTT key is rotated or revoked without touching the fleet secret, and so without touching others. */
class DeviceKeyTest extends DeviceChannelTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aRotatedKeyReplacesTheOldOneForThatDeviceAlone() {
        String id = createDevice("{}");
        String other = createDevice("{}");
        String fleetKey = broker.deviceKeys().password(id);
        try (MqttDevice device = device(id); MqttDevice neighbour = device(other)) {
            Reply rotated = http.post("/twins/" + id + "/key", null);
            assertThat(rotated.status()).as("%s", rotated).isEqualTo(200);
            assertThat(rotated.headers().firstValue("Cache-Control")).hasValueSatisfying(v -> assertThat(v)
                    .contains("no-store"));
            JsonNode key = rotated.json();
            assertThat(key.get("generation").asInt()).isEqualTo(1);
            String password = key.get("password").asText();
            assertThat(password).isNotEqualTo(fleetKey);

            await().atMost(WAIT).until(() -> !device.connected());
            assertThat(neighbour.connected()).as("another device keeps its connection and key").isTrue();
            neighbour.publish("reported", q("{'n':1,'clientToken':'n1'}"));
            assertThat(neighbour.await("reported/accepted").get("clientToken").asText()).isEqualTo("n1");
        }
        assertThat(refusal(id, fleetKey)).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
        String password = http.post("/twins/" + id + "/key", null).json().get("password").asText();
        assertThat(refusal(id, password)).as("the newest generation connects").isNull();
        try (MqttDevice device = connect(id, password)) {
            device.publish("reported", q("{'rotated':true,'clientToken':'r1'}"));
            assertThat(device.await("reported/accepted").get("clientToken").asText()).isEqualTo("r1");
        }
    }

    @Test
    void aRevokedKeyIsRefusedUntilTheNextRotation() {
        String id = createDevice("{}");
        String fleetKey = broker.deviceKeys().password(id);
        try (MqttDevice device = device(id)) {
            assertThat(http.delete("/twins/" + id + "/key").status()).isEqualTo(204);
            await().atMost(WAIT).until(() -> !device.connected());
        }
        assertThat(refusal(id, fleetKey)).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
        assertThat(http.delete("/twins/" + id + "/key").status()).as("again").isEqualTo(204);

        String password = http.post("/twins/" + id + "/key", null).json().get("password").asText();
        assertThat(refusal(id, password)).isNull();
    }

    @Test
    void aModuleHasItsOwnKeyAndAnUnknownTwinHasNone() {
        String id = createDevice("{}");
        assertThat(http.put("/twins/" + id + "/modules/agent", q("{}")).status()).isEqualTo(201);
        JsonNode key = http.post("/twins/" + id + "/modules/agent/key", null).json();
        assertThat(key.get("twinId").asText()).isEqualTo(id + "/agent");
        assertThat(refusal(id + "/agent", key.get("password").asText())).isNull();
        assertThat(refusal(id, broker.deviceKeys().password(id))).as("the device's own key is unchanged").isNull();

        Reply unknown = http.post("/twins/" + TwinHttp.newDeviceId() + "/key", null);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("code").asText()).isEqualTo("twinNotFound");
        assertThat(http.post("/twins/bad%20id/key", null).status()).isEqualTo(400);
    }

    private MqttDevice connect(String twinId, String password) {
        return MqttDevice.connect(deviceBroker(), twinId, password).subscribe();
    }

    @Test
    void aScopedCallerRotatesAndRevokesKeysOfTwinsInsideItsScopeAlone() {
        String site = "keys-" + TwinHttp.newDeviceId().substring(4, 12);
        String inside = createDevice("{'site':'" + site + "'}");
        String outside = createDevice("{'site':'" + site + "-other'}");
        ObjectNode body = TwinHttp.JSON.createObjectNode().put("name", "scoped-" + site)
                .put("scope", "tags.site = '" + site + "'");
        body.putArray("roles").add("operator");
        JsonNode made = http.post("/admin/keys", body).json();
        TwinHttp scoped = http.withKey(made.get("key").asText());
        String outsideKey = broker.deviceKeys().password(outside);

        TwinHttp.assertProblem(scoped.post("/twins/" + outside + "/key", null), 403, "outsideScope");
        TwinHttp.assertProblem(scoped.delete("/twins/" + outside + "/key"), 403, "outsideScope");
        assertThat(refusal(outside, outsideKey)).as("the key outside the scope is untouched").isNull();

        TwinHttp.Reply rotated = scoped.post("/twins/" + inside + "/key", null);
        assertThat(rotated.status()).as("%s", rotated).isEqualTo(200);
        assertThat(scoped.delete("/twins/" + inside + "/key").status()).isEqualTo(204);
    }
}
