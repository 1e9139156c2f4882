package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.microsoft.azure.sdk.iot.device.ClientOptions;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.IotHubStatusCode;
import com.microsoft.azure.sdk.iot.device.Message;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.ReportedPropertiesUpdateResponse;
import com.microsoft.azure.sdk.iot.device.twin.Twin;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import io.twinplatform.api.device.SasToken;
import io.twinplatform.deploy.mqtt.BrokerTls;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.net.ssl.SSLContext;
import javax.sql.DataSource;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Devices of Azure IoT Hub's protocol, connected unchanged: Azure's own device SDK for Java
 * ({@code com.microsoft.azure.sdk.iot:iot-device-client}) against the embedded broker, which it dials on 8883 over TLS
 * as it would a hub (its connection string names {@code GatewayHostName=localhost}, and it trusts this installation's
 * CA). Bad requests are sent raw, as an MQTT 3.1.1 client of Azure's topics, to see each answer's status.
 */
@SpringBootTest(classes = TwinPlatformApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class AzureDeviceTest {

    static final Path DATA_DIR = TestDataDirs.fresh();
    private static final String HUB = "twins.example.net";
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** How long one twin request of Azure's SDK may wait for its answer before it is sent again. */
    private static final int TWIN_TIMEOUT = 10_000;
    private static final int TWIN_ATTEMPTS = 3;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("twin.data-dir", DATA_DIR::toString);
        registry.add("twin.mqtt.enabled", () -> "true");
        // Azure's SDK dials 8883 and nothing else.
        registry.add("twin.mqtt.tls-port", () -> "8883");
        // The fuzz below sends a few hundred messages from one device.
        registry.add("twin.devices.rate-limit.messages-per-second", () -> "1000");
        registry.add("twin.devices.rate-limit.burst", () -> "1000");
    }

    @LocalServerPort
    int port;

    @Autowired
    EmbeddedBroker broker;

    @Autowired
    DataSource dataSource;

    TwinHttp http;

    @BeforeEach
    void client() {
        http = new TwinHttp(port, DATA_DIR);
        assertThat(broker.tlsPort()).as("Azure's SDK needs the broker on 8883; is something else listening there?")
                .isEqualTo(8883);
    }

    @BeforeAll
    static void sdkLogsQuietly() {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }

    @Test
    void aDeviceOfAzuresSdkGetsItsTwinReportsAndIsSentDesiredPatches() throws Exception {
        String id = createDevice("{'mode':'eco','interval':30}");
        BlockingQueue<Twin> patches = new LinkedBlockingQueue<>();
        DeviceClient device = new DeviceClient(connectionString(id, null), IotHubClientProtocol.MQTT, options());
        try {
            device.open(true);
            device.subscribeToDesiredProperties((twin, context) -> patches.add(twin), null);

            Twin twin = twinCall(() -> device.getTwin(TWIN_TIMEOUT));
            assertThat(twin.getDesiredProperties()).containsEntry("mode", "eco");
            assertThat(twin.getDesiredProperties().getVersion()).isEqualTo(1);
            assertThat(twin.getReportedProperties()).isEmpty();

            TwinCollection reported = new TwinCollection();
            reported.put("temperature", 21.5);
            reported.put("mode", "eco");
            ReportedPropertiesUpdateResponse response = twinCall(() -> device.updateReportedProperties(reported, TWIN_TIMEOUT));
            assertThat(response.getVersion()).isEqualTo(2);
            JsonNode stored = http.awaitJson("/twins/" + id, t -> t.path("properties").path("reported")
                    .has("temperature"), WAIT);
            assertThat(stored.get("properties").get("reported").get("temperature").asDouble()).isEqualTo(21.5);
            JsonNode last = http.awaitHistory("/twins/" + id + "/history", 2).get("items").get(0);
            assertThat(last.get("eventType").asText()).isEqualTo("ReportedPropertiesPatched");
            assertThat(last.get("principal").asText()).isEqualTo("device:" + id);

            assertThat(http.patch("/twins/" + id, q("{'properties':{'desired':{'mode':'turbo','interval':null}}}"))
                    .status()).isEqualTo(200);
            Twin patch = patches.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(patch).as("the desired patch reached the device").isNotNull();
            assertThat(patch.getDesiredProperties()).containsEntry("mode", "turbo").containsKey("interval");
            assertThat(patch.getDesiredProperties().get("interval")).isNull();
            assertThat(patch.getDesiredProperties().getVersion()).isEqualTo(2);
        } finally {
            device.close();
        }
    }

    @Test
    void aReportBasedOnAStaleVersionIsRefusedWith412AndChangesNothing() throws Exception {
        String id = createDevice("{}");
        DeviceClient device = new DeviceClient(connectionString(id, null), IotHubClientProtocol.MQTT, options());
        try {
            device.open(true);
            // Azure's SDK asks for this before any twin operation.
            device.subscribeToDesiredProperties((twin, context) -> { }, null);
            TwinCollection first = new TwinCollection();
            first.put("firmware", "1.0");
            // Without a $version: sent again after a lost answer (twinCall), a patch based on $version 1 would rightly
            // be refused, as the first one moved the reported properties to $version 2.
            assertThat(twinCall(() -> device.updateReportedProperties(first, TWIN_TIMEOUT)).getVersion()).isEqualTo(2);

            TwinCollection stale = new TwinCollection();
            stale.put("firmware", "0.9");
            stale.setVersion(1);
            assertThatThrownBy(() -> twinCall(() -> device.updateReportedProperties(stale, TWIN_TIMEOUT)))
                    .isInstanceOfSatisfying(IotHubClientException.class, e ->
                            assertThat(e.getStatusCode()).isEqualTo(IotHubStatusCode.PRECONDITION_FAILED));
            assertThat(twinCall(() -> device.getTwin(TWIN_TIMEOUT)).getReportedProperties()).containsEntry("firmware", "1.0");
        } finally {
            device.close();
        }
    }

    /** Azure's SDKs publish no birth message or will: the broker reports the connection state for them. */
    @Test
    void anAzureDevicesConnectionStateFollowsItsConnection() throws Exception {
        String id = createDevice("{}");
        DeviceClient device = new DeviceClient(connectionString(id, null), IotHubClientProtocol.MQTT, options());
        try {
            device.open(true);
            http.awaitJson("/twins/" + id, t -> t.path("connectionState").asText().equals("Connected"), WAIT);
        } finally {
            device.close();
        }
        http.awaitJson("/twins/" + id, t -> t.path("connectionState").asText().equals("Disconnected"), WAIT);
        JsonNode items = http.awaitHistory("/twins/" + id + "/history", 3).get("items");
        assertThat(items.get(0).get("eventType").asText()).isEqualTo("TwinConnectionChanged");
        assertThat(items.get(0).get("principal").asText()).isEqualTo("device:" + id);
    }

    @Test
    void telemetryOfAnAzureDeviceIsStored() throws Exception {
        String id = createDevice("{}");
        DeviceClient device = new DeviceClient(connectionString(id, null), IotHubClientProtocol.MQTT, options());
        try {
            device.open(true);
            Message message = new Message("{\"temperature\":19.5,\"env\":{\"humidity\":40}}");
            message.setContentType("application/json");
            message.setContentEncoding("utf-8");
            message.setProperty("source", "sdk");
            device.sendEvent(message);
        } finally {
            device.close();
        }
        JsonNode series = http.awaitJson("/twins/" + id + "/telemetry?bucket=1h",
                t -> t.path("series").path("temperature").size() == 1, WAIT).get("series");
        assertThat(series.get("temperature").get(0).get("avg").asDouble()).isEqualTo(19.5);
        assertThat(series.get("env.humidity").get(0).get("count").asInt()).isEqualTo(1);
    }

    @Test
    void aModuleOfAzuresSdkSpeaksForItsOwnTwin() throws Exception {
        String id = createDevice("{}");
        assertThat(http.put("/twins/" + id + "/modules/edge", q("{'properties':{'desired':{'rate':5}}}")).status())
                .isEqualTo(201);
        ModuleClient module = new ModuleClient(connectionString(id, "edge"), IotHubClientProtocol.MQTT, options());
        try {
            module.open(true);
            module.subscribeToDesiredProperties((twin, context) -> { }, null);
            assertThat(twinCall(() -> module.getTwin(TWIN_TIMEOUT)).getDesiredProperties()).containsEntry("rate", 5L);
            TwinCollection reported = new TwinCollection();
            reported.put("rate", 5);
            twinCall(() -> module.updateReportedProperties(reported, TWIN_TIMEOUT));
            module.sendEvent(new Message("{\"vibration\":0.25}"));
            module.subscribeToMethods((name, payload, context) -> new DirectMethodResponse(200,
                    java.util.Map.of("module", "edge", "method", name)), null);
            TwinHttp.Reply answer = http.post("/twins/" + id + "/modules/edge/methods/selfTest", null);
            assertThat(answer.status()).as("%s", answer).isEqualTo(200);
            assertThat(answer.json().get("payload").get("method").asText()).isEqualTo("selfTest");
        } finally {
            module.close();
        }
        JsonNode series = http.awaitJson("/twins/" + id + "/modules/edge/telemetry?bucket=1h",
                t -> t.path("series").path("vibration").size() == 1, WAIT);
        assertThat(series.get("moduleId").asText()).isEqualTo("edge");
        assertThat(http.get("/twins/" + id + "/telemetry?bucket=1h").json().path("series").has("vibration"))
                .as("the device's own telemetry is apart").isFalse();
        JsonNode twin = http.awaitJson("/twins/" + id + "/modules/edge", t -> t.path("delta").isEmpty(), WAIT);
        assertThat(twin.get("configSync").get("inSync").asBoolean()).isTrue();
        assertThat(http.get("/twins/" + id).json().get("properties").get("reported").has("rate"))
                .as("the device's own twin is untouched").isFalse();
    }

    @Test
    void aWrongKeyAnExpiredTokenAndAnotherDevicesTokenAreRefused() throws Exception {
        String id = createDevice("{}");
        String other = createDevice("{}");
        String wrongKey = broker.deviceKeys().symmetricKey(other, 0);
        DeviceClient wrong = new DeviceClient("HostName=" + HUB + ";DeviceId=" + id + ";SharedAccessKey=" + wrongKey
                + ";GatewayHostName=localhost", IotHubClientProtocol.MQTT, options());
        try {
            assertThatThrownBy(() -> wrong.open(false)).isInstanceOf(IotHubClientException.class);
        } finally {
            wrong.close();
        }
        String key = broker.deviceKeys().symmetricKey(id, 0);
        String expired = SasToken.create(HUB + "/devices/" + id, key, Instant.now().minusSeconds(60));
        assertThat(rawConnect(id, expired)).as("an expired token").isFalse();
        String othersToken = SasToken.create(HUB + "/devices/" + other, broker.deviceKeys().symmetricKey(other, 0),
                Instant.now().plusSeconds(600));
        assertThat(rawConnect(id, othersToken)).as("a token that names another device").isFalse();
        String good = SasToken.create(HUB + "/devices/" + id, key, Instant.now().plusSeconds(600));
        assertThat(rawConnect(id, good)).as("the device's own token").isTrue();

        String rotated = http.post("/twins/" + id + "/key", null).json().get("symmetricKey").asText();
        assertThat(rawConnect(id, good)).as("a token of the key before the rotation").isFalse();
        assertThat(rawConnect(id, SasToken.create(HUB + "/devices/" + id, rotated, Instant.now().plusSeconds(600))))
                .as("a token of the rotated key").isTrue();
    }

    /**
     * What an Azure device sends wrong gets Azure's answer on {@code $iothub/twin/res/{status}/?$rid=}, with the
     * problem document, and changes nothing; a request of an unknown twin is 404. Answers go to the asking
     * connection only: another Azure device subscribed to the same topic filter hears nothing.
     */
    @Test
    void badRequestsAreAnsweredWithTheirStatusOnTheAskingConnectionOnly() throws Exception {
        String id = createDevice("{}");
        String bystander = createDevice("{}");
        Mqtt3AsyncClient device = raw(id);
        Mqtt3AsyncClient other = raw(bystander);
        BlockingQueue<Mqtt3Publish> answers = new LinkedBlockingQueue<>();
        BlockingQueue<Mqtt3Publish> overheard = new LinkedBlockingQueue<>();
        try {
            device.subscribeWith().topicFilter("$iothub/twin/res/#").qos(MqttQos.AT_LEAST_ONCE).callback(answers::add)
                    .send().get(10, TimeUnit.SECONDS);
            other.subscribeWith().topicFilter("$iothub/twin/res/#").qos(MqttQos.AT_LEAST_ONCE).callback(overheard::add)
                    .send().get(10, TimeUnit.SECONDS);

            assertThat(request(device, answers, "$iothub/twin/PATCH/properties/reported/?$rid=1", "{not json"))
                    .startsWith("$iothub/twin/res/400/?$rid=1");
            assertThat(request(device, answers, "$iothub/twin/PATCH/properties/reported/?$rid=2", "[1,2]"))
                    .startsWith("$iothub/twin/res/400/?$rid=2");
            assertThat(request(device, answers, "$iothub/twin/PATCH/properties/reported/?$rid=3", "{\"$bad\":1}"))
                    .startsWith("$iothub/twin/res/400/?$rid=3");
            assertThat(request(device, answers, "$iothub/twin/PATCH/properties/reported/?$rid=4&$version=x",
                    "{\"a\":1}")).startsWith("$iothub/twin/res/400/?$rid=4");
            StringBuilder big = new StringBuilder("{");
            for (int i = 0; i < 500; i++) {
                big.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"").append("x".repeat(80)).append('"');
            }
            big.append('}');
            assertThat(request(device, answers, "$iothub/twin/PATCH/properties/reported/?$rid=5",
                    big.toString()))
                    .startsWith("$iothub/twin/res/413/?$rid=5");
            assertThat(request(device, answers, "$iothub/twin/PATCH/properties/reported/?$rid=6&$version=7",
                    "{\"a\":1}")).startsWith("$iothub/twin/res/412/?$rid=6");
            assertThat(request(device, answers, "$iothub/twin/PATCH/properties/reported/?$rid=7", "{\"a\":1}"))
                    .isEqualTo("$iothub/twin/res/204/?$rid=7&$version=2");
            assertThat(request(device, answers, "$iothub/twin/GET/?$rid=8", "")).isEqualTo("$iothub/twin/res/200/?$rid=8");
            // The answer comes once the patch is committed; the read side follows.
            JsonNode twin = http.awaitJson("/twins/" + id,
                    t -> t.path("properties").path("reported").path("$version").asLong() >= 2, WAIT);
            assertThat(twin.get("properties").get("reported").get("$version").asLong())
                    .as("only the good patch was written").isEqualTo(2);
            assertThat(ofType(http.awaitHistory("/twins/" + id + "/history", 2).get("items"),
                    "ReportedPropertiesPatched")).as("one patch").hasSize(1);
            assertThat(overheard.poll(1, TimeUnit.SECONDS)).as("another device heard an answer").isNull();
        } finally {
            device.disconnect();
            other.disconnect();
        }
        String missing = TwinHttp.newDeviceId();
        Mqtt3AsyncClient stranger = raw(missing);
        try {
            stranger.subscribeWith().topicFilter("$iothub/twin/res/#").qos(MqttQos.AT_LEAST_ONCE)
                    .callback(answers::add).send().get(10, TimeUnit.SECONDS);
            assertThat(request(stranger, answers, "$iothub/twin/GET/?$rid=9", "")).startsWith("$iothub/twin/res/404/");
        } finally {
            stranger.disconnect();
        }
    }

    /**
     * Azure's reported patch topic under fuzz, deterministic (a fixed seed): broken, truncated, mis-encoded, deep,
     * huge and mistyped payloads, and odd {@code $version}s. Every request is answered on its own {@code $rid}, with
     * 204 or a 4xx, the connection stays up, and a refused one writes no event.
     */
    @Test
    void fuzzedReportedPatchesAreAllAnsweredAndTheRefusedOnesWriteNothing() throws Exception {
        String id = createDevice("{}");
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        Random random = new Random(20_2026L);
        Mqtt3AsyncClient device = raw(id);
        BlockingQueue<Mqtt3Publish> answers = new LinkedBlockingQueue<>();
        try {
            device.subscribeWith().topicFilter("$iothub/twin/res/#").qos(MqttQos.AT_LEAST_ONCE).callback(answers::add)
                    .send().get(10, TimeUnit.SECONDS);
            // The broker reports the connection (an event) for an Azure device: counted before the fuzz starts.
            http.awaitJson("/twins/" + id, t -> t.path("connectionState").asText().equals("Connected"), WAIT);
            long events = events(jdbc, id);
            int accepted = 0;
            for (int i = 0; i < 300; i++) {
                byte[] payload = fuzzedPayload(random);
                String version = List.of("", "", "", "&$version=", "&$version=x", "&$version=-1",
                        "&$version=99999999999999999999", "&$version=1").get(random.nextInt(8));
                String rid = "f" + i;
                String topic = request(device, answers, "$iothub/twin/PATCH/properties/reported/?$rid=" + rid
                        + version, payload);
                assertThat(topic).as("answered on its own $rid").contains("/?$rid=" + rid);
                int status = Integer.parseInt(topic.substring("$iothub/twin/res/".length(), topic.indexOf("/?")));
                long now = events(jdbc, id);
                if (status == 204) {
                    accepted++;
                    assertThat(now).isGreaterThanOrEqualTo(events);
                } else {
                    assertThat(status).as("%s for %s", topic, new String(payload, StandardCharsets.UTF_8))
                            .isIn(400, 412, 413, 422);
                    assertThat(now).as("a refused patch wrote an event: %s", topic).isEqualTo(events);
                }
                events = now;
            }
            assertThat(accepted).as("some patches were good").isPositive();
            assertThat(device.getState().isConnected()).isTrue();
        } finally {
            device.disconnect();
        }
    }

    /** The history items of one event type, in the order listed. */
    private static List<JsonNode> ofType(JsonNode items, String eventType) {
        List<JsonNode> found = new java.util.ArrayList<>();
        items.forEach(item -> {
            if (item.get("eventType").asText().equals(eventType)) {
                found.add(item);
            }
        });
        return found;
    }

    private static long events(JdbcTemplate jdbc, String id) {
        return jdbc.queryForObject("SELECT count(*) FROM domain_event_entry WHERE aggregate_identifier = ?",
                Long.class, id);
    }

    /** One payload a device might send, good or (mostly) bad. */
    private static byte[] fuzzedPayload(Random random) {
        String good = "{\"t\":" + random.nextInt(100) + ",\"mode\":\"m" + random.nextInt(5) + "\"}";
        return switch (random.nextInt(14)) {
            case 0, 1 -> good.getBytes(StandardCharsets.UTF_8);
            case 2 -> good.substring(0, random.nextInt(good.length())).getBytes(StandardCharsets.UTF_8);
            case 3 -> {
                byte[] bytes = new byte[1 + random.nextInt(64)];
                random.nextBytes(bytes);
                yield bytes;
            }
            case 4 -> new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
            case 5 -> "{\"a\":\"x\u0000y\"}".getBytes(StandardCharsets.UTF_8);
            case 6 -> "{\"a\":\"\uD800\"}".getBytes(StandardCharsets.UTF_8);
            case 7 -> ("{\"a\":".repeat(40) + "1" + "}".repeat(40)).getBytes(StandardCharsets.UTF_8);
            case 8 -> List.of("[1,2]", "\"text\"", "12", "null", "", "true").get(random.nextInt(6))
                    .getBytes(StandardCharsets.UTF_8);
            case 9 -> List.of("{\"$a\":1}", "{\"a.b\":1}", "{\"\":1}", "{\"a b\":1}").get(random.nextInt(4))
                    .getBytes(StandardCharsets.UTF_8);
            case 10 -> ("{\"blob\":\"" + "x".repeat(5_000 + random.nextInt(60_000)) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            case 11 -> "{\"n\":1e400}".getBytes(StandardCharsets.UTF_8);
            case 12 -> "{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8);
            default -> ("{\"clientToken\":" + List.of("5", "\"\"", "\"" + "t".repeat(65) + "\"", "\"ok\"")
                    .get(random.nextInt(4)) + ",\"t\":1}").getBytes(StandardCharsets.UTF_8);
        };
    }

    /**
     * A direct method through Azure's SDK: the operator's call reaches the device with its payload, the device's
     * status and payload come back as the HTTP answer, and the call and its outcome are the twin's events, with the
     * operator as principal and the reason given.
     */
    @Test
    void anOperatorCallsADirectMethodOnAnAzureDeviceAndGetsItsAnswer() throws Exception {
        String id = createDevice("{}");
        BlockingQueue<String> calls = new LinkedBlockingQueue<>();
        DeviceClient device = new DeviceClient(connectionString(id, null), IotHubClientProtocol.MQTT, options());
        try {
            device.open(true);
            device.subscribeToMethods((name, payload, context) -> {
                calls.add(name + " " + payload.getPayloadAsJsonString());
                return new DirectMethodResponse(name.equals("calibrate") ? 200 : 501,
                        java.util.Map.of("offset", -0.4, "applied", true));
            }, null);
            TwinHttp.Reply reply = http.post("/twins/" + id + "/methods/calibrate",
                    q("{'payload':{'sensor':'temperature','offset':-0.4},'responseTimeoutInSeconds':10}"),
                    "X-Change-Reason", "sensor drift");
            assertThat(reply.status()).as("%s", reply).isEqualTo(200);
            assertThat(reply.json().get("status").asInt()).isEqualTo(200);
            assertThat(reply.json().get("payload").get("applied").asBoolean()).isTrue();
            assertThat(calls.poll(1, TimeUnit.SECONDS)).isEqualTo("calibrate {\"sensor\":\"temperature\",\"offset\":-0.4}");

            TwinHttp.Reply unknown = http.post("/twins/" + id + "/methods/selfDestruct", null);
            assertThat(unknown.status()).as("the device's own status is passed on").isEqualTo(200);
            assertThat(unknown.json().get("status").asInt()).isEqualTo(501);
        } finally {
            device.close();
        }
        JsonNode items = http.awaitHistory("/twins/" + id + "/history", 6).get("items");
        // Newest first: the first call's events are the last of each type.
        List<JsonNode> completions = ofType(items, "DirectMethodCompleted");
        List<JsonNode> invocations = ofType(items, "DirectMethodInvoked");
        assertThat(completions).hasSize(2);
        JsonNode completed = completions.get(1);
        JsonNode invoked = invocations.get(1);
        assertThat(invoked.get("eventType").asText()).isEqualTo("DirectMethodInvoked");
        assertThat(completed.get("eventType").asText()).isEqualTo("DirectMethodCompleted");
        assertThat(invoked.get("principal").asText()).isEqualTo(completed.get("principal").asText())
                .startsWith("key:");
        assertThat(invoked.get("reason").asText()).isEqualTo("sensor drift");
        assertThat(completed.get("correlationId").asText()).isEqualTo(invoked.get("correlationId").asText());
    }

    /**
     * A device that is not connected is 404 at once (and nothing is recorded: nothing was sent), one that does not
     * answer is 504 after the call's time, and one that answers with a payload the platform cannot keep is 502; the
     * calls that went out are recorded with their outcomes.
     */
    @Test
    void anUnreachableASilentAndAGarbledDeviceGet404504And502() throws Exception {
        String id = createDevice("{}");
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        TwinHttp.assertProblem(http.post("/twins/" + id + "/methods/reboot", null), 404, "deviceNotConnected");
        assertThat(events(jdbc, id)).as("a call to a device that is not connected is not recorded").isEqualTo(1);

        Mqtt3AsyncClient device = raw(id);
        BlockingQueue<Mqtt3Publish> calls = new LinkedBlockingQueue<>();
        try {
            device.subscribeWith().topicFilter("$iothub/methods/POST/#").qos(MqttQos.AT_LEAST_ONCE)
                    .callback(calls::add).send().get(10, TimeUnit.SECONDS);
            long started = System.nanoTime();
            TwinHttp.assertProblem(http.post("/twins/" + id + "/methods/reboot",
                    q("{'responseTimeoutInSeconds':5}")), 504, "deviceTimeout");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(5));
            Mqtt3Publish call = calls.poll(1, TimeUnit.SECONDS);
            assertThat(call.getTopic().toString()).startsWith("$iothub/methods/POST/reboot/?$rid=");

            java.util.concurrent.CompletableFuture<TwinHttp.Reply> garbled = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> http.post("/twins/" + id + "/methods/reboot", q("{'payload':1}")));
            Mqtt3Publish second = calls.poll(10, TimeUnit.SECONDS);
            String rid = second.getTopic().toString().substring(second.getTopic().toString().indexOf("?$rid=") + 6);
            // Another device's connection cannot answer it.
            Mqtt3AsyncClient other = raw(createDevice("{}"));
            other.publishWith().topic("$iothub/methods/res/200/?$rid=" + rid).qos(MqttQos.AT_LEAST_ONCE)
                    .payload("{\"forged\":true}".getBytes(StandardCharsets.UTF_8)).send().get(10, TimeUnit.SECONDS);
            other.disconnect();
            device.publishWith().topic("$iothub/methods/res/200/?$rid=" + rid).qos(MqttQos.AT_LEAST_ONCE)
                    .payload("{\"a\":\"x\\u0000\"}".getBytes(StandardCharsets.UTF_8)).send().get(10, TimeUnit.SECONDS);
            TwinHttp.assertProblem(garbled.get(20, TimeUnit.SECONDS), 502, "invalidDeviceAnswer");
        } finally {
            device.disconnect();
        }
        JsonNode items = http.awaitHistory("/twins/" + id + "/history", 6).get("items");
        List<String> outcomes = new java.util.ArrayList<>();
        for (JsonNode item : items) {
            if (item.get("eventType").asText().equals("DirectMethodCompleted")) {
                outcomes.add(item.get("change").get("outcome").asText());
            }
        }
        assertThat(outcomes).containsExactly("invalidAnswer", "timedOut");
    }

    /** An enrollment group provisions a device of Azure's protocol too, at its first connect. */
    @Test
    void anAzureDeviceOfAnEnrollmentGroupGetsItsTwinAtItsFirstConnect() throws Exception {
        String id = TwinHttp.newDeviceId();
        assertThat(http.put("/enrollments/azure-" + id, q("{'deviceIds':['" + id + "'],"
                + "'initialTwin':{'tags':{'line':'b'},'properties':{'desired':{'mode':'eco'}}}}")).status())
                .isEqualTo(201);
        DeviceClient device = new DeviceClient(connectionString(id, null), IotHubClientProtocol.MQTT, options());
        try {
            device.open(true);
            device.subscribeToDesiredProperties((twin, context) -> { }, null);
            assertThat(twinCall(() -> device.getTwin(TWIN_TIMEOUT)).getDesiredProperties()).containsEntry("mode", "eco");
        } finally {
            device.close();
        }
        JsonNode created = ofType(http.awaitHistory("/twins/" + id + "/history", 1).get("items"), "TwinCreated")
                .get(0);
        assertThat(created.get("principal").asText()).isEqualTo("enrollment:azure-" + id);
        assertThat(http.get("/twins/" + id).json().get("tags").get("line").asText()).isEqualTo("b");
    }

    @Test
    void badMethodCallsAreRefusedAndWriteNothing() {
        String id = createDevice("{}");
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        long events = events(jdbc, id);
        TwinHttp.assertProblem(http.post("/twins/" + id + "/methods/re%20boot", null), 400, "invalidMethodName");
        TwinHttp.assertProblem(http.post("/twins/" + id + "/methods/reboot", q("{'responseTimeoutInSeconds':1}")),
                400, "invalidTimeout");
        TwinHttp.assertProblem(http.post("/twins/" + id + "/methods/reboot", q("{'responseTimeoutInSeconds':'x'}")),
                400, "invalidTimeout");
        TwinHttp.assertProblem(http.post("/twins/" + id + "/methods/reboot", q("{'connectTimeoutInSeconds':301}")),
                400, "invalidTimeout");
        TwinHttp.assertProblem(http.post("/twins/" + id + "/methods/reboot", "[1]"), 400, "notAnObject");
        TwinHttp.assertProblem(http.post("/twins/" + id + "/methods/reboot", "{\"payload\":\"a\\u0000b\"}"),
                400, "invalidText");
        TwinHttp.assertProblem(http.post("/twins/" + id + "/methods/reboot", "{\"payload\":[1,"), 400, "malformedJson");
        TwinHttp.assertProblem(http.post("/twins/" + id + "/methods/reboot",
                "{\"payload\":\"" + "x".repeat(5000) + "\"}"), 422, "stringTooLong");
        StringBuilder big = new StringBuilder("{\"payload\":[");
        for (int i = 0; i < 400; i++) {
            big.append(i == 0 ? "" : ",").append('"').append("y".repeat(100)).append('"');
        }
        TwinHttp.assertProblem(http.post("/twins/" + id + "/methods/reboot", big.append("]}").toString()), 413,
                "valueTooLarge");
        TwinHttp.assertProblem(http.post("/twins/" + TwinHttp.newDeviceId() + "/methods/reboot", null), 404,
                "twinNotFound");
        assertThat(events(jdbc, id)).as("nothing was recorded").isEqualTo(events);
    }

    /** Publishes a request and returns the topic of its answer (its status and request id). */
    private static String request(Mqtt3AsyncClient client, BlockingQueue<Mqtt3Publish> answers, String topic,
                                  byte[] payload) throws Exception {
        client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send()
                .get(10, TimeUnit.SECONDS);
        Mqtt3Publish answer = answers.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(answer).as("an answer to %s", topic).isNotNull();
        return answer.getTopic().toString();
    }

    /** Publishes a request and returns the topic of its answer (its status and request id). */
    private static String request(Mqtt3AsyncClient client, BlockingQueue<Mqtt3Publish> answers, String topic,
                                  String payload) throws Exception {
        client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
                .payload(payload.getBytes(StandardCharsets.UTF_8)).send().get(10, TimeUnit.SECONDS);
        Mqtt3Publish answer = answers.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(answer).as("an answer to %s", topic).isNotNull();
        return answer.getTopic().toString();
    }

    /** An MQTT 3.1.1 connection as Azure's SDKs make it, with a fresh SAS token. */
    private Mqtt3AsyncClient raw(String id) throws Exception {
        String token = SasToken.create(HUB + "/devices/" + id, broker.deviceKeys().symmetricKey(id, 0),
                Instant.now().plusSeconds(600));
        Mqtt3AsyncClient client = rawClient(id, token);
        client.connect().get(10, TimeUnit.SECONDS);
        return client;
    }

    private boolean rawConnect(String id, String token) {
        Mqtt3AsyncClient client = rawClient(id, token);
        try {
            client.connect().get(10, TimeUnit.SECONDS);
            client.disconnect().get(10, TimeUnit.SECONDS);
            return true;
        } catch (Exception refused) {
            return false;
        }
    }

    private Mqtt3AsyncClient rawClient(String id, String token) {
        return MqttClient.builder().useMqttVersion3().identifier(id).serverHost("localhost")
                .serverPort(broker.tlsPort()).sslConfig(BrokerTls.clientConfig(DATA_DIR.resolve("mqtt/tls/ca.crt")))
                .simpleAuth().username(HUB + "/" + id + "/?api-version=2021-04-12")
                .password(token.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().buildAsync();
    }

    private String connectionString(String deviceId, String moduleId) {
        String twinId = moduleId == null ? deviceId : deviceId + "/" + moduleId;
        return "HostName=" + HUB + ";DeviceId=" + deviceId + (moduleId == null ? "" : ";ModuleId=" + moduleId)
                + ";SharedAccessKey=" + broker.deviceKeys().symmetricKey(twinId, 0) + ";GatewayHostName=localhost";
    }

    /** Azure's SDK trusting this installation's CA, as a device is given {@code mqtt/tls/ca.crt}. */
    /**
     * A twin request of Azure's SDK, sent again when its answer does not reach the caller. The SDK (2.5.0) can lose an
     * answer that did arrive: its MQTT thread queues the answer and only then looks up the request it answers, while its
     * receive task may already have taken the answer from the queue and forgotten that request, so the call waits out
     * its whole timeout (seen in the SDK's debug log: "Executing callback for received message" for the answer, and no
     * status callback). A device does what this does: a twin GET is safe to repeat, and a reported patch sent again is
     * decided again (a stale {@code $version} is refused again, the same content changes nothing).
     */
    private static <T> T twinCall(Callable<T> request) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return request.call();
            } catch (IotHubClientException e) {
                if (e.getStatusCode() != IotHubStatusCode.DEVICE_OPERATION_TIMED_OUT || attempt == TWIN_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private static ClientOptions options() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream ca = Files.newInputStream(DATA_DIR.resolve("mqtt/tls/ca.crt"))) {
            trust.setCertificateEntry("twin-ca", CertificateFactory.getInstance("X.509").generateCertificate(ca));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return ClientOptions.builder().sslContext(context).build();
    }

    private String createDevice(String desiredJson) {
        String id = TwinHttp.newDeviceId();
        TwinHttp.Reply created = http.put("/twins/" + id, q("{'properties':{'desired':" + desiredJson + "}}"));
        assertThat(created.status()).as("create %s: %s", id, created).isEqualTo(201);
        return id;
    }
}
