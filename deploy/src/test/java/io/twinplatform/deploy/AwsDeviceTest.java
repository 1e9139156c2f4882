package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAck;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import io.twinplatform.deploy.mqtt.BrokerTls;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import software.amazon.awssdk.crt.mqtt.MqttClientConnection;
import software.amazon.awssdk.crt.mqtt.QualityOfService;
import software.amazon.awssdk.iot.AwsIotMqttConnectionBuilder;
import software.amazon.awssdk.iot.iotshadow.IotShadowClient;
import software.amazon.awssdk.iot.iotshadow.model.DeleteShadowRequest;
import software.amazon.awssdk.iot.iotshadow.model.DeleteShadowResponse;
import software.amazon.awssdk.iot.iotshadow.model.DeleteShadowSubscriptionRequest;
import software.amazon.awssdk.iot.iotshadow.model.ErrorResponse;
import software.amazon.awssdk.iot.iotshadow.model.GetNamedShadowRequest;
import software.amazon.awssdk.iot.iotshadow.model.GetNamedShadowSubscriptionRequest;
import software.amazon.awssdk.iot.iotshadow.model.GetShadowRequest;
import software.amazon.awssdk.iot.iotshadow.model.GetShadowResponse;
import software.amazon.awssdk.iot.iotshadow.model.GetShadowSubscriptionRequest;
import software.amazon.awssdk.iot.iotshadow.model.NamedShadowDeltaUpdatedSubscriptionRequest;
import software.amazon.awssdk.iot.iotshadow.model.ShadowDeltaUpdatedEvent;
import software.amazon.awssdk.iot.iotshadow.model.ShadowDeltaUpdatedSubscriptionRequest;
import software.amazon.awssdk.iot.iotshadow.model.ShadowState;
import software.amazon.awssdk.iot.iotshadow.model.ShadowUpdatedEvent;
import software.amazon.awssdk.iot.iotshadow.model.ShadowUpdatedSubscriptionRequest;
import software.amazon.awssdk.iot.iotshadow.model.UpdateNamedShadowRequest;
import software.amazon.awssdk.iot.iotshadow.model.UpdateNamedShadowSubscriptionRequest;
import software.amazon.awssdk.iot.iotshadow.model.UpdateShadowRequest;
import software.amazon.awssdk.iot.iotshadow.model.UpdateShadowResponse;
import software.amazon.awssdk.iot.iotshadow.model.UpdateShadowSubscriptionRequest;

import javax.security.auth.x500.X500Principal;
import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.twinplatform.deploy.TwinHttp.j;
import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Devices of AWS IoT's Device Shadow protocol, connected unchanged: AWS's own device SDK for Java v2
 * ({@code software.amazon.awssdk.iotdevicesdk:aws-iot-device-sdk}, its {@link IotShadowClient} over the CRT's MQTT
 * 3.1.1 client) against the embedded broker's TLS port, trusting this installation's CA, with the device's id as
 * client id and user name and its key as password. Bad requests are sent raw, as an MQTT 3.1.1 client of AWS's
 * topics, to read each error document.
 */
@SpringBootTest(classes = TwinPlatformApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class AwsDeviceTest {

    static final Path DATA_DIR = TestDataDirs.fresh();
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final QualityOfService QOS1 = QualityOfService.AT_LEAST_ONCE;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("twin.data-dir", DATA_DIR::toString);
        registry.add("twin.mqtt.enabled", () -> "true");
        // AWS's SDK dials any port: a free one, never 8883, which AzureDeviceTest's context must have.
        registry.add("twin.mqtt.tls-port", () -> "0");
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
    }

    /**
     * A device of AWS's SDK reads its shadow, reports, is sent a delta and the documents when an operator changes its
     * desired properties, is refused a stale version, and deletes its shadow; the twin, its history and its audit
     * trail show what the device did.
     */
    @Test
    void aDeviceOfAwsSdkGetsUpdatesAndIsSentDeltasAndDocuments() throws Exception {
        String id = createDevice("{'mode':'eco','interval':30}");
        Device device = connect(id);
        try {
            GetShadowRequest get = new GetShadowRequest();
            get.thingName = id;
            get.clientToken = "g1";
            device.shadow.PublishGetShadow(get, QOS1).get(10, TimeUnit.SECONDS);
            GetShadowResponse shadow = poll(device.gets);
            assertThat(shadow.clientToken).isEqualTo("g1");
            assertThat(shadow.version).isEqualTo(1);
            assertThat(shadow.state.desired).containsEntry("mode", "eco").containsEntry("interval", 30.0);
            assertThat(shadow.state.reported).isNull();
            assertThat(shadow.state.delta).containsOnlyKeys("mode", "interval");
            assertThat(shadow.metadata.desired).containsKey("mode");
            assertThat(shadow.timestamp.toInstant()).isBetween(Instant.now().minusSeconds(60),
                    Instant.now().plusSeconds(5));

            UpdateShadowRequest report = new UpdateShadowRequest();
            report.thingName = id;
            report.clientToken = "u1";
            report.state = new ShadowState();
            report.state.reported = new HashMap<>(Map.of("mode", "eco", "interval", 30, "temperature", 21.5));
            device.shadow.PublishUpdateShadow(report, QOS1).get(10, TimeUnit.SECONDS);
            // The SDK's publish completes on the PUBACK, which the broker sends only after the commit.
            assertThat(events(new JdbcTemplate(dataSource), id)).as("committed before the PUBACK").isEqualTo(2);
            UpdateShadowResponse accepted = poll(device.updates);
            assertThat(accepted.clientToken).isEqualTo("u1");
            assertThat(accepted.version).isEqualTo(2);
            assertThat(accepted.state.reported).containsEntry("temperature", 21.5);
            assertThat(accepted.state.desired).isNull();
            assertThat(accepted.metadata.reported).containsKey("temperature");
            ShadowUpdatedEvent documents = poll(device.documents);
            assertThat(documents.previous.version).isEqualTo(1);
            assertThat(documents.previous.state.reported).isNull();
            assertThat(documents.current.version).isEqualTo(2);
            assertThat(documents.current.state.reported).containsEntry("temperature", 21.5);
            assertThat(documents.current.state.desired).containsEntry("mode", "eco");
            assertThat(device.deltas.poll(1, TimeUnit.SECONDS)).as("a report sends no delta").isNull();

            JsonNode twin = http.awaitJson("/twins/" + id, t -> t.path("properties").path("reported")
                    .has("temperature"), WAIT);
            assertThat(twin.path("properties").path("reported").path("temperature").asDouble()).isEqualTo(21.5);
            assertThat(twin.path("configSync").path("inSync").asBoolean()).isTrue();
            JsonNode last = http.awaitHistory("/twins/" + id + "/history", 2).get("items").get(0);
            assertThat(last.get("eventType").asText()).isEqualTo("ReportedPropertiesPatched");
            assertThat(last.get("principal").asText()).isEqualTo("device:" + id);

            // An operator's patch reaches the device as AWS sends it: a delta and the documents before and after.
            assertThat(http.patch("/twins/" + id, q("{'properties':{'desired':{'mode':'turbo'}}}")).status())
                    .isEqualTo(200);
            ShadowDeltaUpdatedEvent delta = poll(device.deltas);
            assertThat(delta.state).containsOnly(Map.entry("mode", "turbo"));
            assertThat(delta.version).isEqualTo(3);
            assertThat(delta.metadata).containsKey("mode");
            documents = poll(device.documents);
            assertThat(documents.previous.state.desired).containsEntry("mode", "eco");
            assertThat(documents.current.state.desired).containsEntry("mode", "turbo");
            assertThat(documents.current.version).isEqualTo(3);

            // An update based on a version that is no longer the shadow's is refused, and writes nothing.
            UpdateShadowRequest stale = new UpdateShadowRequest();
            stale.thingName = id;
            stale.clientToken = "u2";
            stale.version = 2;
            stale.state = new ShadowState();
            stale.state.reported = new HashMap<>(Map.of("mode", "turbo"));
            device.shadow.PublishUpdateShadow(stale, QOS1).get(10, TimeUnit.SECONDS);
            ErrorResponse conflict = poll(device.updateErrors);
            assertThat(conflict.code).isEqualTo(409);
            assertThat(conflict.message).isEqualTo("Version conflict");
            assertThat(conflict.clientToken).isEqualTo("u2");
            assertThat(events(new JdbcTemplate(dataSource), id)).as("the refused update wrote nothing").isEqualTo(3);

            // The device applies the delta and clears the desired key, as AWS's samples do.
            UpdateShadowRequest applied = new UpdateShadowRequest();
            applied.thingName = id;
            applied.clientToken = "u3";
            applied.version = 3;
            applied.state = new ShadowState();
            applied.state.reported = new HashMap<>(Map.of("mode", "turbo"));
            device.shadow.PublishUpdateShadow(applied, QOS1).get(10, TimeUnit.SECONDS);
            assertThat(poll(device.updates).version).isEqualTo(4);
            http.awaitJson("/twins/" + id, t -> t.path("version").asLong() == 4 && t.path("delta").isEmpty(), WAIT);

            DeleteShadowRequest delete = new DeleteShadowRequest();
            delete.thingName = id;
            delete.clientToken = "d1";
            device.shadow.PublishDeleteShadow(delete, QOS1).get(10, TimeUnit.SECONDS);
            DeleteShadowResponse deleted = poll(device.deletes);
            assertThat(deleted.clientToken).isEqualTo("d1");
            assertThat(deleted.version).isGreaterThan(4);
            JsonNode cleared = http.awaitJson("/twins/" + id, t -> t.path("version").asLong() == deleted.version,
                    WAIT);
            assertThat(values(cleared.path("properties").path("desired"))).isEqualTo(j("{}"));
            assertThat(values(cleared.path("properties").path("reported"))).isEqualTo(j("{}"));
        } finally {
            device.close();
        }
    }

    /** A named shadow is the module twin of that name; another name is AWS's 404. */
    @Test
    void namedShadowsAreTheDevicesModuleTwins() throws Exception {
        String id = createDevice("{}");
        assertThat(http.put("/twins/" + id + "/modules/camera", q("{'properties':{'desired':{'fps':30}}}")).status())
                .isEqualTo(201);
        Device device = connect(id);
        BlockingQueue<GetShadowResponse> gets = new LinkedBlockingQueue<>();
        BlockingQueue<ErrorResponse> getErrors = new LinkedBlockingQueue<>();
        BlockingQueue<UpdateShadowResponse> updates = new LinkedBlockingQueue<>();
        BlockingQueue<ShadowDeltaUpdatedEvent> deltas = new LinkedBlockingQueue<>();
        try {
            for (String name : List.of("camera", "nosuch")) {
                GetNamedShadowSubscriptionRequest subscription = new GetNamedShadowSubscriptionRequest();
                subscription.thingName = id;
                subscription.shadowName = name;
                device.shadow.SubscribeToGetNamedShadowAccepted(subscription, QOS1, gets::add)
                        .get(10, TimeUnit.SECONDS);
                device.shadow.SubscribeToGetNamedShadowRejected(subscription, QOS1, getErrors::add)
                        .get(10, TimeUnit.SECONDS);
            }
            UpdateNamedShadowSubscriptionRequest updated = new UpdateNamedShadowSubscriptionRequest();
            updated.thingName = id;
            updated.shadowName = "camera";
            device.shadow.SubscribeToUpdateNamedShadowAccepted(updated, QOS1, updates::add).get(10, TimeUnit.SECONDS);
            NamedShadowDeltaUpdatedSubscriptionRequest deltaSubscription = new NamedShadowDeltaUpdatedSubscriptionRequest();
            deltaSubscription.thingName = id;
            deltaSubscription.shadowName = "camera";
            device.shadow.SubscribeToNamedShadowDeltaUpdatedEvents(deltaSubscription, QOS1, deltas::add)
                    .get(10, TimeUnit.SECONDS);

            GetNamedShadowRequest get = new GetNamedShadowRequest();
            get.thingName = id;
            get.shadowName = "camera";
            device.shadow.PublishGetNamedShadow(get, QOS1).get(10, TimeUnit.SECONDS);
            assertThat(poll(gets).state.desired).containsEntry("fps", 30.0);

            UpdateNamedShadowRequest report = new UpdateNamedShadowRequest();
            report.thingName = id;
            report.shadowName = "camera";
            report.state = new ShadowState();
            report.state.reported = new HashMap<>(Map.of("fps", 25));
            device.shadow.PublishUpdateNamedShadow(report, QOS1).get(10, TimeUnit.SECONDS);
            assertThat(poll(updates).state.reported).containsEntry("fps", 25.0);
            JsonNode module = http.awaitJson("/twins/" + id + "/modules/camera", t -> t.path("properties")
                    .path("reported").has("fps"), WAIT);
            assertThat(module.path("properties").path("reported").path("fps").asInt()).isEqualTo(25);
            assertThat(http.get("/twins/" + id).json().path("properties").path("reported").has("fps"))
                    .as("the device's own twin is untouched").isFalse();

            assertThat(http.patch("/twins/" + id + "/modules/camera", q("{'properties':{'desired':{'fps':60}}}"))
                    .status()).isEqualTo(200);
            assertThat(poll(deltas).state).containsOnly(Map.entry("fps", 60.0));

            GetNamedShadowRequest missing = new GetNamedShadowRequest();
            missing.thingName = id;
            missing.shadowName = "nosuch";
            missing.clientToken = "m1";
            device.shadow.PublishGetNamedShadow(missing, QOS1).get(10, TimeUnit.SECONDS);
            ErrorResponse notFound = poll(getErrors);
            assertThat(notFound.code).isEqualTo(404);
            assertThat(notFound.message).isEqualTo("No shadow exists with name: 'nosuch'");
            assertThat(notFound.clientToken).isEqualTo("m1");
        } finally {
            device.close();
        }
    }

    /**
     * A device sees its own thing only: it may not subscribe to another thing's topics nor to every thing's, and a
     * request on another thing's topic is refused (the broker closes the connection) and writes nothing; a wrong key
     * is refused at connect.
     */
    @Test
    void aDeviceSeesOnlyItsOwnThing() throws Exception {
        String id = createDevice("{}");
        String other = createDevice("{'secret':1}");
        Mqtt3AsyncClient device = raw(id);
        try {
            assertThat(subscribe(device, "$aws/things/" + other + "/shadow/#")).isFalse();
            assertThat(subscribe(device, "$aws/things/+/shadow/update/delta")).isFalse();
            assertThat(subscribe(device, "$aws/things/" + other + "/shadow/get/accepted")).isFalse();
            assertThat(subscribe(device, "$aws/things/" + id + "/shadow/name/+/update/accepted")).isTrue();
            assertThat(subscribe(device, "$aws/things/" + id + "/shadow/#")).isTrue();

            device.publishWith().topic("$aws/things/" + other + "/shadow/update").qos(MqttQos.AT_LEAST_ONCE)
                    .payload("{\"state\":{\"desired\":{\"secret\":2}}}".getBytes(StandardCharsets.UTF_8)).send();
            long until = System.nanoTime() + WAIT.toNanos();
            while (device.getState().isConnected() && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertThat(device.getState().isConnected()).as("the broker closed the connection").isFalse();
        } finally {
            if (device.getState().isConnected()) {
                device.disconnect();
            }
        }
        assertThat(http.get("/twins/" + other).version()).as("another thing's shadow is untouched").isEqualTo(1);

        Mqtt3AsyncClient wrongKey = rawClient(id, broker.deviceKeys().password(other, 0));
        assertThat(connects(wrongKey)).as("another device's key").isFalse();
    }

    /**
     * A device may authenticate as AWS devices do, with a client certificate instead of a password: one the platform's
     * CA issued for the key of its signing request. The certificate names the device (a device of another client id
     * is refused), and rotating the device's key retires it.
     */
    @Test
    void aDeviceConnectsWithACertificateOfThePlatformsCaUntilItsKeyIsRotated() throws Exception {
        String id = createDevice("{'mode':'eco'}");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        String csr = pem("CERTIFICATE REQUEST", new JcaPKCS10CertificationRequestBuilder(
                new X500Principal("CN=whatever the device asks"), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())).getEncoded());
        String keyPem = pem("PRIVATE KEY", keys.getPrivate().getEncoded());

        TwinHttp.assertProblem(http.post("/twins/" + id + "/certificate",
                TwinHttp.JSON.writeValueAsString(Map.of("csr", "not a request"))), 400, "invalidCsr");
        TwinHttp.Reply issued = http.post("/twins/" + id + "/certificate",
                TwinHttp.JSON.writeValueAsString(Map.of("csr", csr)));
        assertThat(issued.status()).as("%s", issued).isEqualTo(200);
        assertThat(issued.json().path("generation").asInt()).isZero();
        String certificatePem = issued.json().path("certificatePem").asText();

        MqttClientConnection connection = mtls(id, certificatePem, keyPem);
        BlockingQueue<GetShadowResponse> gets = new LinkedBlockingQueue<>();
        try {
            connection.connect().get(20, TimeUnit.SECONDS);
            IotShadowClient shadow = new IotShadowClient(connection);
            GetShadowSubscriptionRequest subscription = new GetShadowSubscriptionRequest();
            subscription.thingName = id;
            shadow.SubscribeToGetShadowAccepted(subscription, QOS1, gets::add).get(10, TimeUnit.SECONDS);
            GetShadowRequest get = new GetShadowRequest();
            get.thingName = id;
            shadow.PublishGetShadow(get, QOS1).get(10, TimeUnit.SECONDS);
            assertThat(poll(gets).state.desired).containsEntry("mode", "eco");
            connection.disconnect().get(10, TimeUnit.SECONDS);
        } finally {
            connection.close();
        }

        String other = createDevice("{}");
        assertThat(mtlsConnects(other, certificatePem, keyPem)).as("the certificate of another device").isFalse();
        assertThat(http.post("/twins/" + id + "/key", null).status()).isEqualTo(200);
        assertThat(mtlsConnects(id, certificatePem, keyPem)).as("a certificate of the key before the rotation")
                .isFalse();
    }

    private MqttClientConnection mtls(String clientId, String certificatePem, String keyPem) throws Exception {
        try (AwsIotMqttConnectionBuilder builder = AwsIotMqttConnectionBuilder.newMtlsBuilder(certificatePem,
                keyPem)) {
            builder.withEndpoint("localhost").withPort(broker.tlsPort())
                    .withCertificateAuthorityFromPath(null, DATA_DIR.resolve("mqtt/tls/ca.crt").toString())
                    .withClientId(clientId).withCleanSession(true).withKeepAliveSecs(30);
            return builder.build();
        }
    }

    private boolean mtlsConnects(String clientId, String certificatePem, String keyPem) throws Exception {
        MqttClientConnection connection = mtls(clientId, certificatePem, keyPem);
        try {
            connection.connect().get(20, TimeUnit.SECONDS);
            connection.disconnect().get(10, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException refused) {
            return false;
        } finally {
            connection.close();
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /**
     * What a device sends wrong gets AWS's error document on {@code …/rejected} ({@code code}, AWS's
     * {@code message}, {@code timestamp}, the request's {@code clientToken}) and changes nothing.
     */
    @Test
    void badRequestsGetAwsErrorDocumentsAndWriteNothing() throws Exception {
        String id = createDevice("{'mode':'eco'}");
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        Mqtt3AsyncClient device = raw(id);
        BlockingQueue<Mqtt3Publish> answers = new LinkedBlockingQueue<>();
        String update = "$aws/things/" + id + "/shadow/update";
        try {
            device.subscribeWith().topicFilter(update + "/accepted").qos(MqttQos.AT_LEAST_ONCE)
                    .callback(answers::add).send().get(10, TimeUnit.SECONDS);
            device.subscribeWith().topicFilter(update + "/rejected").qos(MqttQos.AT_LEAST_ONCE)
                    .callback(answers::add).send().get(10, TimeUnit.SECONDS);
            long events = events(jdbc, id);

            assertError(request(device, answers, update, "{not json"), 400, "Invalid JSON", null);
            assertError(request(device, answers, update, "{\"clientToken\":\"c1\"}"), 400,
                    "Missing required node: state", "c1");
            assertError(request(device, answers, update, "{\"state\":5,\"clientToken\":\"c2\"}"), 400,
                    "State node must be an object", "c2");
            assertError(request(device, answers, update, "{\"state\":{\"desired\":5}}"), 400,
                    "Desired node must be an object", null);
            assertError(request(device, answers, update, "{\"state\":{\"reported\":[1]}}"), 400,
                    "Reported node must be an object", null);
            assertError(request(device, answers, update, "{\"state\":{\"reported\":{\"a\":1}},\"version\":\"x\"}"),
                    400, "Invalid version", null);
            assertError(request(device, answers, update, "{\"state\":{\"reported\":{\"a\":1}},\"clientToken\":\""
                    + "t".repeat(65) + "\"}"), 400, "Invalid clientToken", null);
            assertError(request(device, answers, update, "{\"state\":{\"reported\":{\"a.b\":1}},\"clientToken\":\"c3\"}"),
                    400, "State contains an invalid node", "c3");
            StringBuilder big = new StringBuilder("{\"state\":{\"reported\":{");
            for (int i = 0; i < 20; i++) {
                big.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"").append("x".repeat(2_000))
                        .append('"');
            }
            big.append("}}}");
            assertError(request(device, answers, update, big.toString()), 413,
                    "The payload exceeds the maximum size allowed", null);
            assertError(request(device, answers, update, "{\"state\":{\"reported\":{\"a\":1}},\"version\":7}"),
                    409, "Version conflict", null);
            assertThat(events(jdbc, id)).as("a refused update wrote an event").isEqualTo(events);

            // Other top-level members are ignored, as AWS does; the answer carries the sections as sent.
            JsonNode accepted = TwinHttp.JSON.readTree(request(device, answers, update,
                    "{\"state\":{\"reported\":{\"a\":1}},\"version\":1,\"extra\":true,\"clientToken\":\"ok\"}")
                    .getPayloadAsBytes());
            assertThat(accepted.path("state")).isEqualTo(j("{'reported':{'a':1}}"));
            assertThat(accepted.path("metadata").path("reported").path("a").path("timestamp").isIntegralNumber())
                    .isTrue();
            assertThat(accepted.path("version").asLong()).isEqualTo(2);
            assertThat(accepted.path("clientToken").asText()).isEqualTo("ok");
            assertThat(accepted.path("timestamp").isIntegralNumber()).isTrue();
        } finally {
            device.disconnect();
        }
        String missing = TwinHttp.newDeviceId();
        Mqtt3AsyncClient stranger = raw(missing);
        try {
            stranger.subscribeWith().topicFilter("$aws/things/" + missing + "/shadow/get/rejected")
                    .qos(MqttQos.AT_LEAST_ONCE).callback(answers::add).send().get(10, TimeUnit.SECONDS);
            assertError(request(stranger, answers, "$aws/things/" + missing + "/shadow/get", ""), 404,
                    "No shadow exists with name: '" + missing + "'", null);
        } finally {
            stranger.disconnect();
        }
    }

    /**
     * AWS's update topic under fuzz, deterministic (a fixed seed): broken, truncated, mis-encoded, deep, huge and
     * mistyped documents, sections and versions. Every request is answered on {@code update/accepted} or
     * {@code update/rejected}, the connection stays up, and a refused one writes no event.
     */
    @Test
    void fuzzedShadowUpdatesAreAllAnsweredAndTheRefusedOnesWriteNothing() throws Exception {
        String id = createDevice("{'mode':'eco'}");
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        Random random = new Random(31_2026L);
        Mqtt3AsyncClient device = raw(id);
        BlockingQueue<Mqtt3Publish> answers = new LinkedBlockingQueue<>();
        String update = "$aws/things/" + id + "/shadow/update";
        try {
            device.subscribeWith().topicFilter(update + "/accepted").qos(MqttQos.AT_LEAST_ONCE)
                    .callback(answers::add).send().get(10, TimeUnit.SECONDS);
            device.subscribeWith().topicFilter(update + "/rejected").qos(MqttQos.AT_LEAST_ONCE)
                    .callback(answers::add).send().get(10, TimeUnit.SECONDS);
            long events = events(jdbc, id);
            int accepted = 0;
            for (int i = 0; i < 300; i++) {
                // Every event of a twin raises its version by one: its version is its count of events.
                byte[] payload = fuzzedUpdate(random, events);
                Mqtt3Publish answer = request(device, answers, update, payload);
                JsonNode body = TwinHttp.JSON.readTree(answer.getPayloadAsBytes());
                long now = events(jdbc, id);
                String what = new String(payload, StandardCharsets.UTF_8);
                if (answer.getTopic().toString().endsWith("/accepted")) {
                    accepted++;
                    assertThat(body.path("version").asLong()).as("%s", what).isEqualTo(now);
                    assertThat(now).isGreaterThanOrEqualTo(events);
                } else {
                    assertThat(answer.getTopic().toString()).isEqualTo(update + "/rejected");
                    assertThat(body.path("code").asInt()).as("%s for %s", body, what).isIn(400, 409, 413, 415);
                    assertThat(body.path("message").asText()).isNotBlank();
                    assertThat(body.path("timestamp").isIntegralNumber()).isTrue();
                    assertThat(now).as("a refused update wrote an event: %s for %s", body, what).isEqualTo(events);
                }
                events = now;
            }
            assertThat(accepted).as("some updates were good").isPositive();
            assertThat(device.getState().isConnected()).isTrue();
        } finally {
            device.disconnect();
        }
    }

    /** One update a device might send, good or (mostly) bad; {@code version} is the shadow's now. */
    private static byte[] fuzzedUpdate(Random random, long version) {
        String section = "{\"t\":" + random.nextInt(100) + ",\"mode\":\"m" + random.nextInt(5) + "\"}";
        String good = "{\"state\":{\"" + (random.nextBoolean() ? "desired" : "reported") + "\":" + section + "}}";
        String text = switch (random.nextInt(16)) {
            case 0, 1 -> good;
            case 2 -> "{\"state\":{\"desired\":" + section + ",\"reported\":" + section + "},\"version\":"
                    + (random.nextBoolean() ? version : version - 1) + "}";
            case 3 -> good.substring(0, random.nextInt(good.length()));
            case 4 -> {
                byte[] bytes = new byte[1 + random.nextInt(64)];
                random.nextBytes(bytes);
                yield new String(bytes, StandardCharsets.ISO_8859_1);
            }
            case 5 -> "{\"state\":{\"reported\":{\"a\":\"x\u0000y\"}}}";
            case 6 -> "{\"state\":{\"reported\":" + "{\"a\":".repeat(40) + "1" + "}".repeat(40) + "}}";
            case 7 -> List.of("[1,2]", "\"text\"", "12", "null", "", "true", "{}").get(random.nextInt(7));
            case 8 -> "{\"state\":" + List.of("5", "[]", "\"x\"", "null", "{}", "{\"desired\":null}",
                    "{\"reported\":null}", "{\"desired\":7}", "{\"reported\":\"on\"}").get(random.nextInt(9)) + "}";
            case 9 -> "{\"state\":{\"desired\":" + List.of("{\"$a\":1}", "{\"a.b\":1}", "{\"\":1}", "{\"a b\":1}")
                    .get(random.nextInt(4)) + "}}";
            case 10 -> "{\"state\":{\"reported\":{\"blob\":\"" + "x".repeat(5_000 + random.nextInt(60_000)) + "\"}}}";
            case 11 -> "{\"state\":{\"reported\":{\"n\":1e400}}}";
            case 12 -> "{\"state\":{\"reported\":{\"a\":1,\"a\":2}}}";
            case 13 -> "{\"state\":{\"reported\":{\"t\":1}},\"version\":" + List.of("\"x\"", "1.5", "-1",
                    "99999999999999999999", "null", "true").get(random.nextInt(6)) + "}";
            case 14 -> "{\"state\":{\"reported\":{\"t\":1}},\"clientToken\":" + List.of("5", "\"\"",
                    "\"" + "t".repeat(65) + "\"", "\"ok\"").get(random.nextInt(4)) + "}";
            default -> "{\"state\":{\"reported\":{\"t\":1}},\"extra\":{\"ignored\":true}}";
        };
        if (random.nextInt(20) == 0) {
            // Bytes that are not UTF-8.
            return new byte[]{'{', '"', 's', '"', ':', (byte) 0xC3, (byte) 0x28, '}'};
        }
        return text.getBytes(random.nextInt(4) == 0 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
    }

    private static void assertError(Mqtt3Publish answer, int code, String message, String clientToken)
            throws Exception {
        assertThat(answer.getTopic().toString()).endsWith("/rejected");
        JsonNode error = TwinHttp.JSON.readTree(answer.getPayloadAsBytes());
        assertThat(error.path("code").asInt()).as("%s", error).isEqualTo(code);
        assertThat(error.path("message").asText()).isEqualTo(message);
        assertThat(error.path("timestamp").isIntegralNumber()).isTrue();
        if (clientToken == null) {
            assertThat(error.has("clientToken")).as("%s", error).isFalse();
        } else {
            assertThat(error.path("clientToken").asText()).isEqualTo(clientToken);
        }
        assertThat(error.size()).as("only AWS's members: %s", error).isEqualTo(clientToken == null ? 3 : 4);
    }

    private static long events(JdbcTemplate jdbc, String id) {
        return jdbc.queryForObject("SELECT count(*) FROM domain_event_entry WHERE aggregate_identifier = ?",
                Long.class, id);
    }

    private static Mqtt3Publish request(Mqtt3AsyncClient client, BlockingQueue<Mqtt3Publish> answers, String topic,
                                        String payload) throws Exception {
        return request(client, answers, topic, payload.getBytes(StandardCharsets.UTF_8));
    }

    /** Publishes a request and returns its answer. */
    private static Mqtt3Publish request(Mqtt3AsyncClient client, BlockingQueue<Mqtt3Publish> answers, String topic,
                                        byte[] payload) throws Exception {
        client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send()
                .get(10, TimeUnit.SECONDS);
        Mqtt3Publish answer = answers.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(answer).as("an answer to %s", topic).isNotNull();
        return answer;
    }

    private static boolean subscribe(Mqtt3AsyncClient client, String filter) throws Exception {
        try {
            Mqtt3SubAck ack = client.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE)
                    .callback(publish -> { }).send().get(10, TimeUnit.SECONDS);
            return ack.getReturnCodes().stream().noneMatch(code -> code == Mqtt3SubAckReturnCode.FAILURE);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Mqtt3SubAckException refused) {
                assertThat(refused.getMqttMessage().getReturnCodes()).containsOnly(Mqtt3SubAckReturnCode.FAILURE);
                return false;
            }
            throw e;
        }
    }

    /** An MQTT 3.1.1 connection as AWS's SDKs make it: the device's id and key, the SDK's user name suffix. */
    private Mqtt3AsyncClient raw(String id) throws Exception {
        Mqtt3AsyncClient client = rawClient(id, broker.deviceKeys().password(id, 0));
        client.connect().get(10, TimeUnit.SECONDS);
        return client;
    }

    private Mqtt3AsyncClient rawClient(String id, String password) {
        return MqttClient.builder().useMqttVersion3().identifier(id).serverHost("localhost")
                .serverPort(broker.tlsPort()).sslConfig(BrokerTls.clientConfig(DATA_DIR.resolve("mqtt/tls/ca.crt")))
                .simpleAuth().username(id + "?SDK=JavaV2&Version=1.30.0")
                .password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().buildAsync();
    }

    private static boolean connects(Mqtt3AsyncClient client) {
        try {
            client.connect().get(10, TimeUnit.SECONDS);
            client.disconnect().get(10, TimeUnit.SECONDS);
            return true;
        } catch (Exception refused) {
            return false;
        }
    }

    /**
     * A device of AWS's SDK, as its firmware connects: the CRT's MQTT client over TLS to the broker's port, checking
     * its certificate with the installation's CA, with the device's id as client id and user name (the SDK adds its
     * {@code ?SDK=…} suffix) and its key as password; subscribed to its classic shadow's answers and notifications.
     */
    private Device connect(String id) throws Exception {
        MqttClientConnection connection;
        try (AwsIotMqttConnectionBuilder builder = AwsIotMqttConnectionBuilder.newDefaultBuilder()) {
            builder.withEndpoint("localhost").withPort(broker.tlsPort())
                    .withCertificateAuthorityFromPath(null, DATA_DIR.resolve("mqtt/tls/ca.crt").toString())
                    .withClientId(id).withUsername(id).withPassword(broker.deviceKeys().password(id, 0))
                    .withCleanSession(true).withKeepAliveSecs(30);
            connection = builder.build();
        }
        connection.connect().get(20, TimeUnit.SECONDS);
        Device device = new Device(connection, new IotShadowClient(connection));
        GetShadowSubscriptionRequest get = new GetShadowSubscriptionRequest();
        get.thingName = id;
        device.shadow.SubscribeToGetShadowAccepted(get, QOS1, device.gets::add).get(10, TimeUnit.SECONDS);
        UpdateShadowSubscriptionRequest update = new UpdateShadowSubscriptionRequest();
        update.thingName = id;
        device.shadow.SubscribeToUpdateShadowAccepted(update, QOS1, device.updates::add).get(10, TimeUnit.SECONDS);
        device.shadow.SubscribeToUpdateShadowRejected(update, QOS1, device.updateErrors::add)
                .get(10, TimeUnit.SECONDS);
        DeleteShadowSubscriptionRequest delete = new DeleteShadowSubscriptionRequest();
        delete.thingName = id;
        device.shadow.SubscribeToDeleteShadowAccepted(delete, QOS1, device.deletes::add).get(10, TimeUnit.SECONDS);
        ShadowDeltaUpdatedSubscriptionRequest delta = new ShadowDeltaUpdatedSubscriptionRequest();
        delta.thingName = id;
        device.shadow.SubscribeToShadowDeltaUpdatedEvents(delta, QOS1, device.deltas::add).get(10, TimeUnit.SECONDS);
        ShadowUpdatedSubscriptionRequest documents = new ShadowUpdatedSubscriptionRequest();
        documents.thingName = id;
        device.shadow.SubscribeToShadowUpdatedEvents(documents, QOS1, device.documents::add)
                .get(10, TimeUnit.SECONDS);
        return device;
    }

    /** A connected device of AWS's SDK and what it heard, by topic. */
    private record Device(MqttClientConnection connection, IotShadowClient shadow,
                          BlockingQueue<GetShadowResponse> gets, BlockingQueue<UpdateShadowResponse> updates,
                          BlockingQueue<ErrorResponse> updateErrors, BlockingQueue<DeleteShadowResponse> deletes,
                          BlockingQueue<ShadowDeltaUpdatedEvent> deltas,
                          BlockingQueue<ShadowUpdatedEvent> documents) {

        Device(MqttClientConnection connection, IotShadowClient shadow) {
            this(connection, shadow, new LinkedBlockingQueue<>(), new LinkedBlockingQueue<>(),
                    new LinkedBlockingQueue<>(), new LinkedBlockingQueue<>(), new LinkedBlockingQueue<>(),
                    new LinkedBlockingQueue<>());
        }

        void close() throws Exception {
            try {
                connection.disconnect().get(10, TimeUnit.SECONDS);
            } finally {
                connection.close();
            }
        }
    }

    private static <T> T poll(BlockingQueue<T> queue) throws InterruptedException {
        T item = queue.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(item).as("a message within %s", WAIT).isNotNull();
        return item;
    }

    private static JsonNode values(JsonNode section) {
        return TwinHttp.values(section);
    }

    private String createDevice(String desiredJson) {
        String id = TwinHttp.newDeviceId();
        TwinHttp.Reply created = http.put("/twins/" + id, q("{'properties':{'desired':" + desiredJson + "}}"));
        assertThat(created.status()).as("create %s: %s", id, created).isEqualTo(201);
        return id;
    }
}
