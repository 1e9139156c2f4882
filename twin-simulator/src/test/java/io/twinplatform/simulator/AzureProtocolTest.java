package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.api.device.SasToken;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.simulator.DeviceAction.Publish;
import io.twinplatform.simulator.DeviceProtocol.Outgoing;
import io.twinplatform.simulator.DeviceProtocol.Reply;
import io.twinplatform.simulator.DeviceProtocol.ToDevice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class AzureProtocolTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DeviceKeys KEYS = new DeviceKeys("0123456789abcdef-secret");
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private final AzureProtocol protocol = new AzureProtocol("d1", "hub.example", KEYS,
            Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void connectsWithAzuresUserNameAndASasTokenOfTheDevicesKeyAndWithoutBirthOrWill() {
        assertThat(protocol.userName()).isEqualTo("hub.example/d1/?api-version=2021-04-12");
        SasToken token = SasToken.parse(new String(protocol.password(), StandardCharsets.UTF_8)).orElseThrow();
        assertThat(token.names(TwinId.device("d1"))).isTrue();
        assertThat(token.signedWith(KEYS.keyBytes("d1", 0))).isTrue();
        assertThat(token.expiredAt(NOW.plus(AzureProtocol.TOKEN_VALIDITY).minusSeconds(1))).isFalse();
        assertThat(protocol.connectionTopic()).isNull();
        assertThat(protocol.outgoing(new Publish("connection", json("{\"state\":\"Connected\"}")))).isNull();
    }

    @Test
    void aReportedPatchGoesOutWithARequestIdAndItsAnswerComesBackWithTheClientToken() {
        Outgoing out = protocol.outgoing(new Publish("reported",
                json("{\"temperature\":20.5,\"clientToken\":\"t-1\"}")));

        assertThat(out.topic()).isEqualTo("$iothub/twin/PATCH/properties/reported/?$rid=1");
        assertThat(json(out.payload())).isEqualTo(json("{\"temperature\":20.5}"));
        ToDevice accepted = (ToDevice) protocol.inbound("$iothub/twin/res/204/?$rid=1&$version=7", new byte[0]);
        assertThat(accepted.kind()).isEqualTo("reported/accepted");
        assertThat(accepted.message().get("clientToken").asText()).isEqualTo("t-1");
        assertThat(accepted.message().get("reportedVersion").asLong()).isEqualTo(7);

        protocol.outgoing(new Publish("reported", json("{\"state\":\"nowhere\",\"clientToken\":\"t-2\"}")));
        ToDevice rejected = (ToDevice) protocol.inbound("$iothub/twin/res/400/?$rid=2",
                "{\"status\":400}".getBytes(StandardCharsets.UTF_8));
        assertThat(rejected.kind()).isEqualTo("reported/rejected");
        assertThat(rejected.message().get("clientToken").asText()).isEqualTo("t-2");
    }

    @Test
    void aDesiredPatchIsMergedIntoTheTwinOfTheLastGetAndAnOlderOneIsPassedOnAsStale() {
        Outgoing get = protocol.outgoing(new Publish("get", json("{\"clientToken\":\"t-1\"}")));
        assertThat(get.topic()).isEqualTo("$iothub/twin/GET/?$rid=1");
        ToDevice twin = (ToDevice) protocol.inbound("$iothub/twin/res/200/?$rid=1", bytes(
                "{\"desired\":{\"mode\":\"eco\",\"limits\":{\"max\":30},\"$version\":4},"
                        + "\"reported\":{\"$version\":2}}"));
        assertThat(twin.kind()).isEqualTo("get/accepted");
        assertThat(twin.message().at("/properties/desired/mode").asText()).isEqualTo("eco");
        assertThat(twin.message().get("clientToken").asText()).isEqualTo("t-1");

        ToDevice desired = (ToDevice) protocol.inbound("$iothub/twin/PATCH/properties/desired/?$version=5",
                bytes("{\"mode\":null,\"limits\":{\"min\":10},\"$version\":5}"));
        assertThat(desired.kind()).isEqualTo("desired");
        assertThat(desired.message().toString())
                .isEqualTo("{\"limits\":{\"max\":30,\"min\":10},\"$version\":5}");

        ToDevice stale = (ToDevice) protocol.inbound("$iothub/twin/PATCH/properties/desired/?$version=4",
                bytes("{\"mode\":\"turbo\",\"$version\":4}"));
        assertThat(stale.message().get("$version").asLong()).isEqualTo(4);
    }

    @Test
    void answersADirectMethodWith200() {
        Reply reply = (Reply) protocol.inbound("$iothub/methods/POST/reboot/?$rid=ab12", bytes("{\"delay\":0}"));

        assertThat(reply.message().topic()).isEqualTo("$iothub/methods/res/200/?$rid=ab12");
        assertThat(json(reply.message().payload()).get("method").asText()).isEqualTo("reboot");
    }

    @Test
    void sendsTelemetryOnTheDevicesEventsTopic() {
        Outgoing out = protocol.outgoing(new Publish("telemetry", json("{\"temperature\":19.5}")));

        assertThat(out.topic()).isEqualTo("devices/d1/messages/events/");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static ObjectNode json(String text) {
        return json(bytes(text));
    }

    private static ObjectNode json(byte[] payload) {
        try {
            JsonNode node = JSON.readTree(payload);
            return (ObjectNode) node;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
