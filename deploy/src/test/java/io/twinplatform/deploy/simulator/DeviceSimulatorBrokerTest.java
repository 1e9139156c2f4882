package io.twinplatform.deploy.simulator;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.twinplatform.api.device.TwinTopic;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import io.twinplatform.deploy.mqtt.MqttSettings;
import io.twinplatform.simulator.DeviceSimulator;
import io.twinplatform.simulator.SimulatorSettings;
import io.twinplatform.simulator.SimulatorStats;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The simulator's MQTT side against the platform's own embedded broker (HiveMQ CE in this JVM, with its rule that a
 * device may publish only its own {@code reported}, {@code get}, {@code connection} and {@code telemetry} topics and
 * subscribe only under its own twin) and a stand-in for the platform that answers {@code get} and {@code reported}
 * as docs/devices.md says. The platform itself is the end-to-end tests' business.
 */
class DeviceSimulatorBrokerTest {

    private static final String SECRET = "broker-test-secret-0123456789";
    private static final String PLATFORM = "platform-stand-in";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.ALLOW_SINGLE_QUOTES);

    @TempDir
    static Path home;
    private static EmbeddedBroker broker;
    private static Mqtt5AsyncClient platform;
    private static Level rootLevel;
    /** What each twin's device published, in order, as topic kind and payload. */
    private static final Map<String, List<Message>> fromDevices = new ConcurrentHashMap<>();

    record Message(String kind, JsonNode body) {
    }

    @BeforeAll
    static void startBrokerAndPlatform() throws Exception {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            rootLevel = context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel();
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
        }
        // The plain listener too, for --plain; every other fleet here connects over TLS.
        broker = EmbeddedBroker.start(new MqttSettings(true, "", 0, 0, true, "", "", "", SECRET, 2048,
                Duration.ofSeconds(10), 256, MqttSettings.Tls.generated(), "twin-platform"), home);

        platform = MqttClient.builder().useMqttVersion5().identifier(PLATFORM).serverHost("127.0.0.1")
                .serverPort(broker.tlsPort()).sslConfig(broker.tls().clientConfig()).simpleAuth().username(EmbeddedBroker.PLATFORM_USER)
                .password(broker.platformPassword().getBytes(StandardCharsets.UTF_8))
                .applySimpleAuth().buildAsync();
        platform.connect().get(10, TimeUnit.SECONDS);
        for (String kind : TwinTopic.DEVICE_KINDS) {
            platform.subscribeWith().topicFilter("twins/+/" + kind).qos(MqttQos.AT_LEAST_ONCE)
                    .callback(DeviceSimulatorBrokerTest::answer).send().get(10, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        platform.disconnect().get(10, TimeUnit.SECONDS);
        broker.close();
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(rootLevel);
        }
    }

    @Test
    void aFleetConnectsTakesItsDesiredPropertiesReportsAndSendsTelemetryAtTheDesiredInterval() throws Exception {
        DeviceSimulator fleet = DeviceSimulator.start(settings("fleet-", 20, "--report-interval", "0.5"));
        List<String> ids = fleet.twinIds();
        try {
            assertThat(fleet.awaitConnected(WAIT)).isTrue();
            await().atMost(WAIT).until(() -> ids.stream().allMatch(id -> count(id, "telemetry") >= 5 && count(id, "reported") >= 4));

            SimulatorStats stats = fleet.stats();
            assertThat(stats.connected()).isEqualTo(20);
            assertThat(stats.getAccepted()).isEqualTo(20);
            assertThat(stats.publishFailures()).isZero();
            assertThat(stats.reportedAccepted()).isGreaterThanOrEqualTo(60);
            assertThat(stats.reportedRejected()).isZero();
            assertThat(stats.latencyP50()).isNotNull();
            for (String id : ids) {
                assertThat(connectionStates(id)).containsExactly("Connected");
                assertThat(count(id, "get")).isEqualTo(1);
                JsonNode first = fromDevices.get(id).stream().filter(m -> m.kind().equals("reported")).findFirst()
                        .orElseThrow().body();
                assertThat(first.get("configVersion").asLong()).isEqualTo(2);
                assertThat(first.get("telemetryInterval").asDouble()).isEqualTo(0.2);
                assertThat(first.get("state").asText()).isEqualTo("idle");
                assertThat(first.get("clientToken").asText()).isNotBlank();
            }
        } finally {
            fleet.close();
        }

        for (String id : ids) {
            await().atMost(WAIT).until(() -> connectionStates(id).size() == 2);
            assertThat(connectionStates(id)).containsExactly("Connected", "Disconnected");
        }
        assertThat(fleet.stats().connected()).isZero();
    }

    @Test
    void aDeviceRunsADesiredFirmwareUpdateAndIgnoresAStaleNotification() throws Exception {
        try (DeviceSimulator fleet = DeviceSimulator.start(settings("fw-", 1, "--firmware-step", "0.1"))) {
            assertThat(fleet.awaitConnected(WAIT)).isTrue();
            String id = fleet.twinIds().get(0);

            publish(id, "desired", "{'firmwareVersion':'2.0.0','telemetryInterval':0.2,'$version':3}");
            await().atMost(WAIT).until(() -> firmwareStatuses(id).contains("Current:2.0.0"));
            publish(id, "desired", "{'firmwareVersion':'3.0.0','telemetryInterval':0.2,'$version':2}");
            await().atMost(WAIT).until(() -> fleet.stats().desiredStale() == 1);

            assertThat(firmwareStatuses(id)).containsSubsequence("Current:1.0.0", "Downloading:2.0.0",
                    "Applying:2.0.0", "Current:2.0.0");
            assertThat(firmwareStatuses(id)).noneMatch(status -> status.endsWith("3.0.0"));
            assertThat(fleet.stats().firmwareUpdates()).isEqualTo(1);
        }
    }

    @Test
    void aDroppedDeviceFiresItsLastWillAndComesBackWithAFreshGet() throws Exception {
        try (DeviceSimulator fleet = DeviceSimulator.start(settings("drop-", 1, "--reconnect-delay", "0.2"))) {
            assertThat(fleet.awaitConnected(WAIT)).isTrue();
            String id = fleet.twinIds().get(0);

            fleet.drop(0);
            await().atMost(WAIT).until(() -> fleet.stats().getAccepted() == 2 && count(id, "reported") == 2);

            // The last will, then the birth message of the new connection.
            assertThat(connectionStates(id)).containsExactly("Connected", "Disconnected", "Connected");
            assertThat(count(id, "get")).isEqualTo(2);
            assertThat(fleet.stats().connected()).isEqualTo(1);
            assertThat(fleet.stats().reconnects()).isEqualTo(1);
        }
    }

    @Test
    void withPlainADeviceConnectsOverPlainTcpToTheBrokersPlainPort() throws Exception {
        try (DeviceSimulator fleet = DeviceSimulator.start(settings("plain-", 1, "--plain"))) {
            assertThat(fleet.settings().resolvePort()).isEqualTo(broker.plainPort().orElseThrow());
            assertThat(fleet.awaitConnected(WAIT)).isTrue();
            await().atMost(WAIT).until(() -> fleet.stats().getAccepted() == 1);
        }
    }

    @Test
    void aDeviceGivenAnotherCaDoesNotConnect(@TempDir Path elsewhere) throws Exception {
        // A CA of another installation: the device must not take this broker for its own.
        EmbeddedBroker other = EmbeddedBroker.start(new MqttSettings(true, "", 0, 0, false, "", "", "", SECRET, 2048,
                Duration.ofSeconds(10), 256, MqttSettings.Tls.generated(), "twin-platform"), elsewhere);
        other.close();
        try (DeviceSimulator fleet = DeviceSimulator.start(settings("untrusting-", 1, "--ca-file",
                elsewhere.resolve("mqtt/tls/ca.crt").toString()))) {
            await().atMost(WAIT).until(() -> fleet.stats().connectFailures() >= 1);
            assertThat(fleet.stats().connected()).isZero();
        }
    }

    private static SimulatorSettings settings(String prefix, int devices, String... options) {
        // The TLS port and the CA file as the platform leaves them in its data directory.
        List<String> args = new ArrayList<>(List.of("--devices", Integer.toString(devices), "--id-prefix", prefix,
                "--data-dir", home.toString(), "--device-secret", SECRET, "--no-create", "--state-interval", "0",
                "--summary-interval", "0", "--seed", "1"));
        args.addAll(List.of(options));
        return SimulatorSettings.parse(args.toArray(String[]::new));
    }

    /** The platform's side: answers get with a twin whose desired telemetryInterval is 0.2 s, and reported. */
    private static void answer(Mqtt5Publish publish) {
        TwinTopic topic = TwinTopic.parse(publish.getTopic().toString()).orElseThrow();
        String id = topic.twinId().value();
        byte[] payload = publish.getPayloadAsBytes();
        JsonNode body = payload.length == 0 ? json("{}") : json(new String(payload, StandardCharsets.UTF_8));
        fromDevices.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(new Message(topic.kind(), body));
        JsonNode token = body.get("clientToken");
        if (topic.kind().equals("get")) {
            ObjectNode twin = json("{'deviceId':'" + id + "','version':1,'properties':{"
                    + "'desired':{'telemetryInterval':0.2,'$version':2,'$metadata':{}},"
                    + "'reported':{'$version':1}},'delta':{'telemetryInterval':0.2}}");
            twin.set("clientToken", token);
            publish(id, "get/accepted", twin.toString());
        } else if (topic.kind().equals("reported")) {
            ObjectNode accepted = json("{'version':2,'reportedVersion':2}");
            accepted.set("clientToken", token);
            publish(id, "reported/accepted", accepted.toString());
        }
    }

    private static void publish(String id, String kind, String body) {
        platform.publishWith().topic(new TwinTopic(TwinId.device(id), kind).text()).qos(MqttQos.AT_LEAST_ONCE)
                .payload(json(body).toString().getBytes(StandardCharsets.UTF_8)).send();
    }

    private static long count(String id, String kind) {
        return fromDevices.getOrDefault(id, List.of()).stream().filter(m -> m.kind().equals(kind)).count();
    }

    /** The states a device published on its connection topic (its birth messages and last will), in order. */
    private static List<String> connectionStates(String id) {
        return fromDevices.getOrDefault(id, List.of()).stream().filter(m -> m.kind().equals("connection"))
                .map(m -> m.body().get("state").asText()).toList();
    }

    private static List<String> firmwareStatuses(String id) {
        return fromDevices.getOrDefault(id, List.of()).stream().filter(m -> m.body().has("firmware"))
                .map(m -> m.body().get("firmware").get("status").asText() + ":"
                        + m.body().get("firmware").get("version").asText())
                .toList();
    }

    private static <T extends JsonNode> T json(String text) {
        try {
            @SuppressWarnings("unchecked")
            T node = (T) JSON.readTree(text);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
