package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.device.DeviceKeys;
import io.twinplatform.simulator.DeviceAction.Publish;
import io.twinplatform.simulator.DeviceProtocol.Outgoing;
import io.twinplatform.simulator.DeviceProtocol.ToDevice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class AwsProtocolTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DeviceKeys KEYS = new DeviceKeys("0123456789abcdef-secret");

    private final AwsProtocol protocol = new AwsProtocol("d1", KEYS);

    @Test
    void connectsWithTheNativeCredentialsAndKeepsTelemetryBirthAndWillOnTheNativeTopics() {
        assertThat(protocol.userName()).isEqualTo("d1");
        assertThat(new String(protocol.password(), StandardCharsets.UTF_8)).isEqualTo(KEYS.password("d1"));
        assertThat(protocol.connectionTopic()).isEqualTo("twins/d1/connection");
        assertThat(protocol.outgoing(new Publish("telemetry", json("{\"temperature\":19.5}"))).topic())
                .isEqualTo("twins/d1/telemetry");
    }

    @Test
    void aReportedPatchIsAShadowUpdateWhoseAnswerIsTakenAsReportedAccepted() {
        Outgoing out = protocol.outgoing(new Publish("reported",
                json("{\"temperature\":20.5,\"clientToken\":\"t-1\"}")));

        assertThat(out.topic()).isEqualTo("$aws/things/d1/shadow/update");
        assertThat(json(out.payload()))
                .isEqualTo(json("{\"state\":{\"reported\":{\"temperature\":20.5}},\"clientToken\":\"t-1\"}"));
        ToDevice accepted = (ToDevice) protocol.inbound("$aws/things/d1/shadow/update/accepted",
                bytes("{\"state\":{\"reported\":{\"temperature\":20.5}},\"version\":3,\"clientToken\":\"t-1\"}"));
        assertThat(accepted.kind()).isEqualTo("reported/accepted");
        assertThat(accepted.message().get("clientToken").asText()).isEqualTo("t-1");
        ToDevice rejected = (ToDevice) protocol.inbound("$aws/things/d1/shadow/update/rejected",
                bytes("{\"code\":400,\"message\":\"Invalid JSON\",\"clientToken\":\"t-2\"}"));
        assertThat(rejected.kind()).isEqualTo("reported/rejected");
    }

    @Test
    void aDeltaIsMergedIntoTheDesiredOfTheLastGetWithTheShadowVersionAsItsVersion() {
        assertThat(protocol.outgoing(new Publish("get", json("{\"clientToken\":\"t-1\"}"))).topic())
                .isEqualTo("$aws/things/d1/shadow/get");
        ToDevice twin = (ToDevice) protocol.inbound("$aws/things/d1/shadow/get/accepted", bytes(
                "{\"state\":{\"desired\":{\"mode\":\"eco\"},\"reported\":{\"mode\":\"eco\"}},\"version\":6,"
                        + "\"clientToken\":\"t-1\"}"));
        assertThat(twin.kind()).isEqualTo("get/accepted");
        assertThat(twin.message().at("/properties/desired").toString())
                .isEqualTo("{\"mode\":\"eco\",\"$version\":6}");
        assertThat(twin.message().at("/properties/reported/mode").asText()).isEqualTo("eco");

        ToDevice delta = (ToDevice) protocol.inbound("$aws/things/d1/shadow/update/delta",
                bytes("{\"state\":{\"telemetryInterval\":5},\"version\":9}"));
        assertThat(delta.kind()).isEqualTo("desired");
        assertThat(delta.message().toString())
                .isEqualTo("{\"mode\":\"eco\",\"telemetryInterval\":5,\"$version\":9}");

        ToDevice stale = (ToDevice) protocol.inbound("$aws/things/d1/shadow/update/delta",
                bytes("{\"state\":{\"telemetryInterval\":1},\"version\":8}"));
        assertThat(stale.message().toString()).isEqualTo("{\"$version\":8}");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static ObjectNode json(String text) {
        return json(bytes(text));
    }

    private static ObjectNode json(byte[] payload) {
        try {
            return (ObjectNode) JSON.readTree(payload);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
