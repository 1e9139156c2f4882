package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The device channel through an external broker: the machine's Mosquitto on 127.0.0.1:1883 (anonymous, as our
 * machines run it), skipped where none listens. The platform reads through its own shared subscription group, so a
 * platform run elsewhere against the same Mosquitto does not take these devices' messages.
 */
@SpringBootTest(classes = TwinPlatformApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class MosquittoDeviceChannelTest {

    private static final String HOST = "127.0.0.1";
    private static final int PORT = 1883;
    private static final Path DATA_DIR = TestDataDirs.fresh();
    private static final Duration WAIT = Duration.ofSeconds(10);

    @DynamicPropertySource
    static void externalBroker(DynamicPropertyRegistry registry) {
        registry.add("twin.data-dir", DATA_DIR::toString);
        registry.add("twin.mqtt.enabled", () -> "true");
        registry.add("twin.mqtt.host", () -> HOST);
        registry.add("twin.mqtt.port", () -> PORT);
        registry.add("twin.mqtt.shared-group", () -> "twin-test-" + UUID.randomUUID());
    }

    @BeforeAll
    static void mosquittoRuns() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, PORT), 1000);
        } catch (IOException e) {
            assumeTrue(false, "no MQTT broker listens on " + HOST + ":" + PORT);
        }
    }

    @LocalServerPort
    int port;

    TwinHttp http;

    @BeforeEach
    void client() {
        http = new TwinHttp(port, DATA_DIR);
    }

    @Test
    void desiredReachesTheDeviceAndItsReportBringsTheTwinInSync() {
        String id = TwinHttp.newDeviceId();
        assertThat(http.put("/twins/" + id, q("{'properties':{'desired':{'telemetryInterval':15}}}")).status())
                .isEqualTo(201);
        try (MqttDevice device = MqttDevice.connect(MqttDevice.Broker.plain(HOST, PORT), id, null).subscribe()) {
            device.publish("connection", q("{'state':'Connected'}"));
            device.publish("get", q("{'clientToken':'boot'}"));
            JsonNode twin = device.await("get/accepted");
            long version = twin.get("properties").get("desired").get("$version").asLong();
            assertThat(twin.get("properties").get("desired").get("telemetryInterval").asInt()).isEqualTo(15);

            http.patch("/twins/" + id, q("{'properties':{'desired':{'telemetryInterval':20}}}"));
            JsonNode desired = device.await("desired");
            assertThat(desired.get("$version").asLong()).isEqualTo(version + 1);

            device.publish("reported", q("{'telemetryInterval':20,'configVersion':" + (version + 1)
                    + ",'clientToken':'r1'}"));
            assertThat(device.await("reported/accepted").get("clientToken").asText()).isEqualTo("r1");
            JsonNode synced = http.awaitJson("/twins/" + id, t -> t.get("configSync").get("inSync").asBoolean(), WAIT);
            assertThat(synced.get("connectionState").asText()).isEqualTo("Connected");

            device.publish("reported", "not json");
            assertThat(device.await("reported/rejected").get("code").asText()).isEqualTo("malformedJson");
            device.drop();
        }
        assertThat(http.awaitJson("/twins/" + id, t -> t.get("connectionState").asText().equals("Disconnected"), WAIT)
                .get("delta").isEmpty()).isTrue();
    }
}
