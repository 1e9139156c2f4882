package io.twinplatform.deploy;

import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;
import java.util.concurrent.CompletionException;

/**
 * The platform with its device channel on: the embedded MQTT broker's TLS listener on a free port (and no plain one,
 * as by default), its own embedded PostgreSQL, lower rate limits. Devices connect over TLS, as real ones do. One context for every device test class (the same configuration in each).
 */
@SpringBootTest(classes = TwinPlatformApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class DeviceChannelTestSupport {

    static final Path DATA_DIR = TestDataDirs.fresh();

    @DynamicPropertySource
    static void deviceChannelProperties(DynamicPropertyRegistry registry) {
        registry.add("twin.data-dir", DATA_DIR::toString);
        registry.add("twin.mqtt.enabled", () -> "true");
        registry.add("twin.mqtt.tls-port", () -> "0");
        registry.add("twin.mqtt.tls.host-names", () -> "devices.twin.example");
        // Lower than the defaults, so that ThrottleTest reaches them quickly; the other tests stay well below.
        registry.add("twin.security.rate-limit.requests-per-second", () -> "200");
        registry.add("twin.security.rate-limit.burst", () -> "400");
        registry.add("twin.devices.rate-limit.messages-per-second", () -> "20");
        registry.add("twin.devices.rate-limit.burst", () -> "40");
    }

    @LocalServerPort
    int port;

    @Autowired
    EmbeddedBroker broker;

    TwinHttp http;

    @BeforeEach
    void client() {
        http = new TwinHttp(port, DATA_DIR);
    }

    /** The embedded broker as a device reaches it: over TLS, checking it with the CA file the platform made. */
    MqttDevice.Broker deviceBroker() {
        return MqttDevice.Broker.tls("127.0.0.1", broker.tlsPort(), DATA_DIR.resolve("mqtt/tls/ca.crt"));
    }

    /** A device with its derived key, subscribed to everything under its twin. */
    MqttDevice device(String twinId) {
        return MqttDevice.connect(deviceBroker(), twinId, broker.deviceKeys().password(twinId)).subscribe();
    }

    /** The reason code of a refused connect with this key, or null if the device connected. */
    Mqtt5ConnAckReasonCode refusal(String twinId, String password) {
        Throwable failure = Assertions.catchThrowable(() ->
                MqttDevice.connect(deviceBroker(), twinId, password).close());
        if (failure == null) {
            return null;
        }
        Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
        Assertions.assertThat(cause).isInstanceOf(Mqtt5ConnAckException.class);
        return ((Mqtt5ConnAckException) cause).getMqttMessage().getReasonCode();
    }

    String createDevice(String tagsJson) {
        String id = TwinHttp.newDeviceId();
        TwinHttp.Reply created = http.put("/twins/" + id, TwinHttp.q("{'tags':" + tagsJson + "}"));
        Assertions.assertThat(created.status()).as("create %s: %s", id, created).isEqualTo(201);
        return id;
    }
}
