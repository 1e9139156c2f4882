package io.twinplatform.deploy;

import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A disabled twin's device is disconnected and refused at connect until the twin is enabled again; a deleted twin's
 * device is disconnected too (Azure IoT Hub's behaviour).
 */
class DeviceStatusTest extends DeviceChannelTestSupport {

    @Test
    void aDisabledTwinsDeviceIsDisconnectedAndRefusedUntilEnabled() {
        String id = createDevice("{}");
        try (MqttDevice device = device(id)) {
            assertThat(device.connected()).isTrue();
            assertThat(http.put("/twins/" + id + "/status", q("{'status':'disabled','statusReason':'stolen'}"))
                    .status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> !device.connected());
        }
        assertThat(refusal(id, broker.deviceKeys().password(id))).isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);

        assertThat(http.put("/twins/" + id + "/status", q("{'status':'enabled'}")).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            try (MqttDevice again = device(id)) {
                return again.connected();
            }
        });
    }

    @Test
    void aDeletedTwinsDeviceIsDisconnected() {
        String id = createDevice("{}");
        try (MqttDevice device = device(id)) {
            assertThat(http.delete("/twins/" + id).status()).isEqualTo(204);
            await().atMost(Duration.ofSeconds(10)).until(() -> !device.connected());
        }
    }

    @Test
    void anotherTwinsDeviceStaysConnected() {
        String disabled = createDevice("{}");
        String other = createDevice("{}");
        try (MqttDevice device = device(other)) {
            assertThat(http.put("/twins/" + disabled + "/status", q("{'status':'disabled'}")).status()).isEqualTo(200);
            device.publish("reported", q("{'still':true,'clientToken':'s1'}"));
            assertThat(device.await("reported/accepted").get("clientToken").asText()).isEqualTo("s1");
            assertThat(device.connected()).isTrue();
        }
    }
}
