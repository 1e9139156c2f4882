package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The device channel end to end: a real embedded broker, devices as real MQTT 5 clients over TLS, the platform's
 * answers read over MQTT and its twins over HTTP.
 */
class DeviceChannelTest extends DeviceChannelTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void desiredPatchReachesTheDeviceAndItsReportBringsTheTwinInSync() {
        String id = createDevice("{'deviceType':'thermostat'}");
        try (MqttDevice device = device(id)) {
            assertThat(http.patch("/twins/" + id, q("{'properties':{'desired':{'telemetryInterval':30}}}")).status())
                    .isEqualTo(200);
            JsonNode desired = device.await("desired");
            assertThat(desired.get("telemetryInterval").asInt()).isEqualTo(30);
            long version = desired.get("$version").asLong();
            assertThat(desired.has("$metadata")).isFalse();
            JsonNode delta = device.await("delta");
            assertThat(delta.get("state").get("telemetryInterval").asInt()).isEqualTo(30);
            assertThat(delta.get("$version").asLong()).isEqualTo(version);

            JsonNode before = http.get("/twins/" + id).json();
            assertThat(before.get("configSync").get("inSync").asBoolean()).isFalse();

            device.publish("reported", q("{'telemetryInterval':30,'configVersion':" + version + ",'clientToken':'r1'}"));
            JsonNode accepted = device.await("reported/accepted");
            assertThat(accepted.get("clientToken").asText()).isEqualTo("r1");
            assertThat(accepted.get("reportedVersion").asLong()).isEqualTo(2);

            JsonNode twin = http.awaitJson("/twins/" + id, t -> t.get("version").asLong() >= accepted.get("version").asLong(), WAIT);
            assertThat(twin.get("delta").isEmpty()).isTrue();
            assertThat(twin.get("configSync")).isEqualTo(TwinHttp.j(
                    "{'desiredVersion':" + version + ",'reportedVersion':" + version + ",'inSync':true}"));
            assertThat(twin.get("properties").get("reported").has("clientToken")).isFalse();
            JsonNode last = http.awaitHistory("/twins/" + id + "/history", 3).get("items").get(0);
            assertThat(last.get("eventType").asText()).isEqualTo("ReportedPropertiesPatched");
            assertThat(last.get("principal").asText()).isEqualTo("device:" + id);
            assertThat(last.get("channel").asText()).isEqualTo("device");
        }
    }

    /**
     * A device reaches the platform as docs/devices.md says: over TLS on the port in {@code mqtt/tls-port}, checking
     * the broker by {@code mqtt/tls/ca.crt}, whose certificate carries the configured host names. There is no plain
     * listener, and a client that does not trust the CA is refused in the handshake.
     */
    @Test
    void aDeviceConnectsOverTlsCheckingTheBrokerByCaCrtAndReports() throws Exception {
        String id = createDevice("{}");
        Path mqtt = DATA_DIR.resolve("mqtt");
        int tlsPort = Integer.parseInt(Files.readString(mqtt.resolve("tls-port")).trim());
        MqttDevice.Broker asDocumented = MqttDevice.Broker.tls("localhost", tlsPort, mqtt.resolve("tls/ca.crt"));
        try (MqttDevice device = MqttDevice.connect(asDocumented, id, broker.deviceKeys().password(id)).subscribe()) {
            device.publish("reported", q("{'temperature':21.5,'clientToken':'tls-1'}"));
            JsonNode accepted = device.await("reported/accepted");
            assertThat(accepted.get("clientToken").asText()).isEqualTo("tls-1");
            JsonNode twin = http.awaitJson("/twins/" + id,
                    t -> t.get("version").asLong() >= accepted.get("version").asLong(), WAIT);
            assertThat(twin.get("properties").get("reported").get("temperature").asDouble()).isEqualTo(21.5);
        }
        assertThat(broker.tls().certificate().getSubjectAlternativeNames())
                .anyMatch(name -> name.get(1).equals("devices.twin.example"));

        assertThat(broker.plainPort()).isEmpty();
        assertThat(Files.exists(mqtt.resolve("port"))).as("no plain port file").isFalse();
        // The JVM's trusted CAs do not include this installation's.
        assertThatThrownBy(() -> Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1").serverPort(tlsPort)
                .sslWithDefaultConfig().simpleAuth().username(id)
                .password(broker.deviceKeys().password(id).getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
                .buildBlocking().connect())
                .hasCauseInstanceOf(SSLHandshakeException.class);
    }

    /**
     * A direct method on the platform's own topics: the call comes on {@code twins/{id}/methods} with its request id,
     * the device answers on {@code twins/{id}/methods/response}, and the operator gets the answer; an answer to
     * another request id is not taken.
     */
    @Test
    void aDeviceAnswersADirectMethodOnItsOwnTopics() throws Exception {
        String id = createDevice("{}");
        try (MqttDevice device = device(id)) {
            java.util.concurrent.CompletableFuture<TwinHttp.Reply> call = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> http.post("/twins/" + id + "/methods/setLevel",
                            q("{'payload':{'level':3},'responseTimeoutInSeconds':10}")));
            JsonNode request = device.await("methods");
            assertThat(request.get("method").asText()).isEqualTo("setLevel");
            assertThat(request.get("payload").get("level").asInt()).isEqualTo(3);
            String requestId = request.get("requestId").asText();
            device.publish("methods/response", q("{'requestId':'someone-else','status':500,'payload':null}"));
            device.publish("methods/response", "{\"requestId\":\"" + requestId
                    + "\",\"status\":202,\"payload\":{\"level\":3,\"rampSeconds\":4}}");
            TwinHttp.Reply reply = call.get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(reply.status()).as("%s", reply).isEqualTo(200);
            assertThat(reply.json().get("status").asInt()).isEqualTo(202);
            assertThat(reply.json().get("payload").get("rampSeconds").asInt()).isEqualTo(4);
        }
        JsonNode last = http.awaitHistory("/twins/" + id + "/history", 3).get("items").get(0);
        assertThat(last.get("eventType").asText()).isEqualTo("DirectMethodCompleted");
        assertThat(last.get("change").get("status").asInt()).isEqualTo(202);
        assertThat(http.get("/twins/" + id).json().get("lastActivityTime").asText()).isEqualTo(last.get("time").asText());
    }

    @Test
    void aModuleSpeaksUnderItsOwnTopics() {
        String id = createDevice("{}");
        assertThat(http.put("/twins/" + id + "/modules/sensor", q("{'properties':{'desired':{'rate':5}}}")).status())
                .isEqualTo(201);
        try (MqttDevice module = device(id + "/sensor")) {
            module.publish("get", "");
            JsonNode twin = module.await("get/accepted");
            assertThat(twin.get("moduleId").asText()).isEqualTo("sensor");
            assertThat(twin.get("properties").get("desired").get("rate").asInt()).isEqualTo(5);
            module.publish("reported", q("{'rate':5}"));
            module.await("reported/accepted");
            assertThat(http.awaitJson("/twins/" + id + "/modules/sensor", t -> t.get("delta").isEmpty(), WAIT)
                    .get("configSync").get("inSync").asBoolean()).isTrue();
        }
    }

    /**
     * Azure's reconnect rule: notifications queued by the broker while the device was away arrive after it comes
     * back, but the full twin it fetches is newer; a device that ignores notifications at or below the version it
     * fetched ends with exactly the twin's desired properties.
     */
    @Test
    void aDeviceThatReconnectsGetsTheFullTwinAndCanTellStaleNotifications() throws Exception {
        String id = createDevice("{}");
        String password = broker.deviceKeys().password(id);
        MqttDevice first = MqttDevice.connect(deviceBroker(), id, password, false, 300).subscribe();
        first.close();
        http.patch("/twins/" + id, q("{'properties':{'desired':{'mode':'eco'}}}"));
        http.patch("/twins/" + id, q("{'properties':{'desired':{'mode':'turbo','fan':2}}}"));

        try (MqttDevice back = MqttDevice.connect(deviceBroker(), id, password, false, 300)) {
            back.publish("get", q("{'clientToken':'boot'}"));
            JsonNode twin = back.await("get/accepted");
            assertThat(twin.get("clientToken").asText()).isEqualTo("boot");
            JsonNode desired = twin.get("properties").get("desired");
            long fetched = desired.get("$version").asLong();
            assertThat(desired.get("mode").asText()).isEqualTo("turbo");

            List<Long> queued = new ArrayList<>();
            for (JsonNode n = back.poll("desired", WAIT); n != null; n = back.poll("desired", Duration.ofSeconds(1))) {
                queued.add(n.get("$version").asLong());
            }
            assertThat(queued).as("notifications the broker kept while the device was away").hasSize(2);
            assertThat(queued).allMatch(v -> v <= fetched);
            assertThat(queued.get(queued.size() - 1)).isEqualTo(fetched);
        }
    }

    @Test
    void aRedeliveredReportChangesNothing() {
        String id = createDevice("{}");
        try (MqttDevice device = device(id)) {
            device.publish("reported", q("{'temperature':21.5,'clientToken':'t-7'}"));
            JsonNode first = device.await("reported/accepted");
            device.publish("reported", q("{'temperature':21.5,'clientToken':'t-7'}"));
            JsonNode again = device.await("reported/accepted");
            assertThat(again.get("version").asLong()).isEqualTo(first.get("version").asLong());
            // The same token again, even with other content: a redelivery of what was already applied.
            device.publish("reported", q("{'temperature':99,'clientToken':'t-7'}"));
            assertThat(device.await("reported/accepted").get("version").asLong())
                    .isEqualTo(first.get("version").asLong());
            // A device's answer does not wait for the read side: read once it shows the report.
            JsonNode twin = http.awaitJson("/twins/" + id,
                    read -> read.get("version").asLong() >= first.get("version").asLong(), Duration.ofSeconds(10));
            assertThat(twin.get("version").asLong()).isEqualTo(first.get("version").asLong());
            assertThat(twin.get("properties").get("reported").get("temperature").asDouble()).isEqualTo(21.5);
        }
    }

    @Test
    void aDeviceCannotUseAnotherDevicesTopicsOrConnectWithoutItsKey() {
        String mine = createDevice("{}");
        String theirs = createDevice("{}");
        try (MqttDevice device = device(mine)) {
            assertThatThrownBy(() -> device.publishTo("twins/" + theirs + "/reported", q("{'hacked':true}")))
                    .as("publishing under another twin id").hasCauseInstanceOf(Mqtt5PubAckException.class);
        }
        try (MqttDevice device = device(mine)) {
            // Only the platform answers on accepted/rejected topics.
            assertThatThrownBy(() -> device.publish("reported/accepted", "{}"))
                    .hasCauseInstanceOf(Mqtt5PubAckException.class);
        }
        for (String filter : List.of("twins/" + theirs + "/#", "twins/+/desired", "#")) {
            try (MqttDevice device = device(mine)) {
                assertThatThrownBy(() -> device.subscribe(filter).join()).as(filter)
                        .hasCauseInstanceOf(Mqtt5SubAckException.class);
            }
        }
        assertThat(http.get("/twins/" + theirs).json().get("properties").get("reported").has("hacked")).isFalse();
        assertThatThrownBy(() -> MqttDevice.connect(deviceBroker(), theirs, broker.deviceKeys().password(mine)))
                .isInstanceOf(CompletionException.class).hasCauseInstanceOf(Mqtt5ConnAckException.class);
        assertThatThrownBy(() -> MqttDevice.connect(deviceBroker(), theirs, null))
                .hasCauseInstanceOf(Mqtt5ConnAckException.class);
        // The right key, but a client id other than the twin id.
        assertThatThrownBy(() -> deviceBroker().client(mine + "-other").simpleAuth().username(mine)
                .password(broker.deviceKeys().password(mine).getBytes(StandardCharsets.UTF_8))
                .applySimpleAuth().buildBlocking().connect())
                .isInstanceOf(Mqtt5ConnAckException.class)
                .satisfies(e -> assertThat(((Mqtt5ConnAckException) e).getMqttMessage().getReasonCode().name())
                        .isEqualTo("CLIENT_IDENTIFIER_NOT_VALID"));
    }

    @Test
    void invalidPayloadsAreRejectedWithTheProblemHttpWouldGive() {
        String id = createDevice("{}");
        try (MqttDevice device = device(id)) {
            device.publish("reported", "{\"a\": ");
            JsonNode syntax = device.await("reported/rejected");
            assertThat(syntax.get("status").asInt()).isEqualTo(400);
            assertThat(syntax.has("position")).isTrue();
            assertThat(syntax.get("instance").asText()).isEqualTo("twins/" + id + "/reported");

            device.publish("reported", q("{'clientToken':'k1','a':{'$bad':1}}"));
            ObjectNode key = (ObjectNode) device.await("reported/rejected");
            assertThat(key.get("status").asInt()).isEqualTo(400);
            assertThat(key.get("path").asText()).isEqualTo("$.properties.reported.a['$bad']");
            assertThat(key.get("clientToken").asText()).isEqualTo("k1");
            assertSameProblemAsHttp(key, id, q("{'a':{'$bad':1}}"));

            device.publish("reported", "[1,2]");
            assertThat(device.await("reported/rejected").get("status").asInt()).isEqualTo(400);
            device.publish("reported", q("{'clientToken':7}"));
            assertThat(device.await("reported/rejected").get("code").asText()).isEqualTo("invalidClientToken");
            device.publish("connection", q("{'state':'Sleeping'}"));
            assertThat(device.await("connection/rejected").get("code").asText()).isEqualTo("invalidConnectionState");
        }
        assertThat(http.get("/twins/" + id).json().get("version").asLong()).as("nothing was written").isEqualTo(1);
        String deleted = createDevice("{}");
        try (MqttDevice connected = device(deleted)) {
            assertThat(http.delete("/twins/" + deleted).status()).isEqualTo(204);
            // Deleting a twin disconnects its device (DeviceStatusTest); one that connects again is told it is gone.
            org.awaitility.Awaitility.await().atMost(WAIT).until(() -> !connected.connected());
        }
        try (MqttDevice gone = device(deleted)) {
            gone.publish("get", "");
            assertThat(gone.await("get/rejected").get("code").asText()).isEqualTo("twinNotFound");
            gone.publish("reported", q("{'a':1}"));
            assertThat(gone.await("reported/rejected").get("status").asInt()).isEqualTo(404);
        }
    }

    @Test
    void aNulALoneSurrogateOrBytesThatAreNotUtf8AreRejectedWithThePathAndNothingIsWritten() {
        String id = createDevice("{}");
        try (MqttDevice device = device(id)) {
            device.publish("reported", q("{'clientToken':'t1','fw':{'v':'1\\u0000'}}"));
            ObjectNode nul = (ObjectNode) device.await("reported/rejected");
            assertThat(nul.get("status").asInt()).isEqualTo(400);
            assertThat(nul.get("code").asText()).isEqualTo("invalidText");
            assertThat(nul.get("path").asText()).isEqualTo("$.properties.reported.fw.v");
            assertSameProblemAsHttp(nul, id, q("{'fw':{'v':'1\\u0000'}}"));

            device.publish("reported", q("{'name':'x\\ud800'}"));
            JsonNode surrogate = device.await("reported/rejected");
            assertThat(surrogate.get("code").asText()).isEqualTo("invalidText");
            assertThat(surrogate.get("path").asText()).isEqualTo("$.properties.reported.name");

            device.publish("reported", new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0x80, '"', '}'});
            JsonNode bytes = device.await("reported/rejected");
            assertThat(bytes.get("code").asText()).isEqualTo("invalidUtf8");
            assertThat(bytes.get("position").asInt()).isEqualTo(6);

            device.publish("connection", q("{'state':'Connected\\u0000'}"));
            assertThat(device.await("connection/rejected").get("path").asText()).isEqualTo("$.state");

            device.publish("telemetry", q("{'temp\\u0000':21.5}"));
            JsonNode name = device.await("telemetry/rejected");
            assertThat(name.get("code").asText()).isEqualTo("invalidText");
            assertThat(name.get("path").asText()).isEqualTo("$['temp\\u0000']");
            device.publish("telemetry", q("{'temperature':21.5,'note':'\\udc00'}"));
            assertThat(device.await("telemetry/rejected").get("path").asText()).isEqualTo("$.note");
            device.publish("telemetry", new byte[]{'{', '"', 't', (byte) 0xFF, '"', ':', '1', '}'});
            assertThat(device.await("telemetry/rejected").get("code").asText()).isEqualTo("invalidUtf8");
        }
        assertThat(http.get("/twins/" + id).json().get("version").asLong()).as("nothing was written").isEqualTo(1);
        assertThat(http.get("/twins/" + id + "/telemetry?bucket=1h").json().path("series").size())
                .as("no telemetry was stored").isZero();
    }

    @Test
    void aReportTooLargeIsRejected413AndNothingIsWritten() {
        String id = createDevice("{}");
        try (MqttDevice device = device(id)) {
            StringBuilder patch = new StringBuilder("{");
            for (int i = 0; i < 10; i++) {
                patch.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"").append("v".repeat(4000))
                        .append('"');
            }
            device.publish("reported", patch.append('}').toString());
            JsonNode problem = device.await("reported/rejected");
            assertThat(problem.get("status").asInt()).isEqualTo(413);
            assertThat(problem.get("path").asText()).isEqualTo("$.properties.reported");
        }
        assertThat(http.get("/twins/" + id).json().get("version").asLong()).isEqualTo(1);
    }

    @Test
    void anInvalidStateTransitionIsRecordedFlaggedCountedAndClearedByTheNextValidOne() {
        String id = createDevice("{'deviceType':'press'}");
        try (MqttDevice device = device(id)) {
            device.publish("reported", q("{'state':'idle'}"));
            device.await("reported/accepted");
            device.publish("reported", q("{'state':'paused'}"));
            long flaggedAt = device.await("reported/accepted").get("version").asLong();
            JsonNode twin = http.awaitJson("/twins/" + id, t -> t.has("invalidStateTransition"), WAIT);
            assertThat(twin.get("properties").get("reported").get("state").asText()).isEqualTo("paused");
            JsonNode flag = twin.get("invalidStateTransition");
            assertThat(flag.get("from").asText()).isEqualTo("idle");
            assertThat(flag.get("to").asText()).isEqualTo("paused");
            assertThat(flag.get("deviceType").asText()).isEqualTo("press");
            assertThat(twin.get("version").asLong()).isEqualTo(flaggedAt);

            JsonNode history = http.awaitHistory("/twins/" + id + "/history", 4).get("items");
            assertThat(history.get(0).get("eventType").asText()).isEqualTo("InvalidStateTransitionReported");
            assertThat(history.get(1).get("eventType").asText()).isEqualTo("ReportedPropertiesPatched");
            assertThat(pausedFlagged()).isPositive();
            ObjectNode query = TwinHttp.JSON.createObjectNode().put("query", "SELECT COUNT() AS n FROM devices WHERE "
                    + "invalidStateTransition.to = 'paused' AND deviceId = '" + id + "'");
            JsonNode count = http.post("/query", query.toString()).json();
            assertThat(count.get("items").get(0).get("n").asInt()).isEqualTo(1);

            device.publish("reported", q("{'state':'running'}"));
            device.await("reported/accepted");
            assertThat(http.awaitJson("/twins/" + id, t -> !t.has("invalidStateTransition"), WAIT)
                    .get("properties").get("reported").get("state").asText()).isEqualTo("running");
        }
    }

    private long pausedFlagged() {
        for (JsonNode group : http.get("/fleet/views/invalidStateTransition").json().get("groups")) {
            // a group without a value counts the twins the view's field is missing from
            if (group.path("value").asText().equals("paused")) {
                return group.get("count").asLong();
            }
        }
        return 0;
    }

    @Test
    void birthAndLastWillAreConnectionEventsAndMessagesAreActivity() throws Exception {
        String id = createDevice("{}");
        MqttDevice device = device(id);
        device.publish("connection", q("{'state':'Connected'}"));
        JsonNode connected = http.awaitJson("/twins/" + id, t -> t.get("connectionState").asText().equals("Connected"),
                WAIT);
        long version = connected.get("version").asLong();
        String activeAt = connected.get("lastActivityTime").asText();

        Thread.sleep(1100);
        device.publish("get", "");
        device.await("get/accepted");
        JsonNode active = http.awaitJson("/twins/" + id,
                t -> t.get("lastActivityTime").asText().compareTo(activeAt) > 0, WAIT);
        assertThat(active.get("version").asLong()).as("activity is not an event").isEqualTo(version);

        device.drop();
        JsonNode gone = http.awaitJson("/twins/" + id,
                t -> t.get("connectionState").asText().equals("Disconnected"), WAIT);
        assertThat(gone.get("version").asLong()).isEqualTo(version + 1);
        List<String> types = new ArrayList<>();
        http.awaitHistory("/twins/" + id + "/history", 3).get("items")
                .forEach(item -> types.add(item.get("eventType").asText()));
        assertThat(types).containsExactly("TwinConnectionChanged", "TwinConnectionChanged", "TwinCreated");
    }

    @Test
    void everyReportIsActivityWhetherItChangedTheTwinOrNot() throws Exception {
        String id = createDevice("{}");
        try (MqttDevice device = device(id)) {
            device.publish("reported", q("{'fan':1,'clientToken':'r1'}"));
            device.await("reported/accepted");
            JsonNode changed = http.awaitJson("/twins/" + id,
                    t -> t.path("properties").path("reported").has("fan"), WAIT);
            long version = changed.get("version").asLong();
            String changedAt = changed.get("lastActivityTime").asText();
            assertThat(changedAt).as("the report's event carries its activity").isNotEmpty();

            Thread.sleep(20);
            // The same report again (a redelivery): no event, but the device was active.
            device.publish("reported", q("{'fan':1,'clientToken':'r1'}"));
            device.await("reported/accepted");
            JsonNode repeated = http.awaitJson("/twins/" + id,
                    t -> t.get("lastActivityTime").asText().compareTo(changedAt) > 0, WAIT);
            assertThat(repeated.get("version").asLong()).as("a redelivery is not an event").isEqualTo(version);

            String repeatedAt = repeated.get("lastActivityTime").asText();
            Thread.sleep(20);
            device.publish("reported", q("{'fan':2}"));
            device.await("reported/accepted");
            JsonNode raised = http.awaitJson("/twins/" + id,
                    t -> t.path("properties").path("reported").path("fan").asInt() == 2, WAIT);
            assertThat(raised.get("version").asLong()).isEqualTo(version + 1);
            assertThat(raised.get("lastActivityTime").asText()).isGreaterThan(repeatedAt);
        }
    }

    @Test
    void aConfigurationReachesTheDeviceOverMqtt() {
        String id = createDevice("{'deviceType':'cfg-mqtt-" + System.nanoTime() + "'}");
        String type = http.get("/twins/" + id).json().get("tags").get("deviceType").asText();
        try (MqttDevice device = device(id)) {
            ObjectNode configuration = (ObjectNode) TwinHttp.j(
                    "{'priority':1,'content':{'deviceContent':{'properties.desired.firmwareVersion':'2.0'}}}");
            configuration.put("targetCondition", "tags.deviceType = '" + type + "'");
            assertThat(http.put("/configurations/c-" + System.nanoTime(), configuration.toString()).status())
                    .isEqualTo(201);
            assertThat(device.await("desired").get("firmwareVersion").asText()).isEqualTo("2.0");
        }
    }

    @Test
    void telemetryIsStoredAndReadBackInBuckets() {
        String id = createDevice("{}");
        java.time.Instant hour = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.HOURS)
                .minus(Duration.ofHours(2));
        try (MqttDevice device = device(id)) {
            double[][] samples = {{0, 20.0}, {60, 22.0}, {299, 24.0}, {300, 30.0}, {420, 10.0}};
            for (double[] sample : samples) {
                device.publish("telemetry", "{\"ts\":\"" + hour.plusSeconds((long) sample[0])
                        + "\",\"temperature\":" + sample[1] + ",\"env\":{\"humidity\":40}}");
            }
            device.publish("telemetry", "{\"ts\":\"yesterday\",\"temperature\":1}");
            JsonNode rejected = device.await("telemetry/rejected");
            assertThat(rejected.get("status").asInt()).isEqualTo(400);
            assertThat(rejected.get("path").asText()).isEqualTo("$.ts");
        }
        String range = "?from=" + hour + "&to=" + hour.plus(Duration.ofHours(1)) + "&bucket=5m";
        JsonNode series = http.awaitJson("/twins/" + id + "/telemetry" + range,
                t -> t.path("series").path("temperature").size() == 2
                        && t.path("series").path("temperature").get(0).path("count").asInt() == 3
                        && t.path("series").path("temperature").get(1).path("count").asInt() == 2, WAIT)
                .get("series");
        JsonNode first = series.get("temperature").get(0);
        assertThat(first.get("start").asText()).isEqualTo(hour.toString());
        assertThat(first.get("avg").asDouble()).isEqualTo(22.0);
        assertThat(first.get("min").asDouble()).isEqualTo(20.0);
        assertThat(first.get("max").asDouble()).isEqualTo(24.0);
        JsonNode second = series.get("temperature").get(1);
        assertThat(second.get("avg").asDouble()).isEqualTo(20.0);
        assertThat(second.get("min").asDouble()).isEqualTo(10.0);
        assertThat(series.get("env.humidity").get(0).get("count").asInt()).isEqualTo(3);
        TwinHttp.assertProblem(http.get("/twins/" + id + "/telemetry?bucket=fortnightly"), 400, null);
    }

    @Test
    void telemetryIsActivityAndEveryMessageIsCountedByItsKindAndOutcome() throws Exception {
        String id = createDevice("{}");
        double applied = messages("reported", "applied");
        double stored = messages("telemetry", "accepted");
        double refused = messages("telemetry", "rejected");
        try (MqttDevice device = device(id)) {
            device.publish("reported", q("{'fan':1}"));
            device.await("reported/accepted");
            JsonNode reported = http.awaitJson("/twins/" + id,
                    t -> t.path("properties").path("reported").has("fan"), WAIT);
            String reportedAt = reported.get("lastActivityTime").asText();

            Thread.sleep(20);
            device.publish("telemetry", "{\"temperature\":21.5}");
            JsonNode active = http.awaitJson("/twins/" + id,
                    t -> t.get("lastActivityTime").asText().compareTo(reportedAt) > 0, WAIT);
            assertThat(active.get("version").asLong()).as("telemetry is activity, not an event")
                    .isEqualTo(reported.get("version").asLong());
            device.publish("telemetry", "{\"ts\":\"yesterday\",\"temperature\":1}");
            device.await("telemetry/rejected");
        }
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> messages("telemetry", "rejected") >= refused + 1);
        assertThat(messages("reported", "applied")).isGreaterThanOrEqualTo(applied + 1);
        assertThat(messages("telemetry", "accepted")).isGreaterThanOrEqualTo(stored + 1);
    }

    private double messages(String kind, String outcome) {
        TwinHttp.Reply reply = http.get("/actuator/metrics/twin.devices.messages?tag=kind:" + kind + "&tag=outcome:"
                + outcome);
        return reply.status() == 404 ? 0 : reply.json().get("measurements").get(0).get("value").asDouble();
    }

    /** The rejected document of an MQTT report is the problem HTTP gives for the same patch, less its own members. */
    private void assertSameProblemAsHttp(ObjectNode rejected, String id, String patch) {
        ObjectNode overHttp = (ObjectNode) http.patch("/twins/" + id + "/properties/reported", patch).json();
        ObjectNode overMqtt = rejected.deepCopy();
        overMqtt.remove(List.of("clientToken", "instance"));
        overHttp.remove("instance");
        assertThat(overMqtt).as("the same problem document as HTTP").isEqualTo(overHttp);
    }
}
