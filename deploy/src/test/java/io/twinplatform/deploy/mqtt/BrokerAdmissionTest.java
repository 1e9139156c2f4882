package io.twinplatform.deploy.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.twinplatform.api.device.DeviceReplies;
import io.twinplatform.api.device.TwinTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The embedded broker's edge when the platform cannot answer a device message: the device's publish is refused with
 * PUBACK {@code UNSPECIFIED_ERROR} (send it again), it is counted as unanswered, its place among the messages in hand
 * is given back, and it is routed to no subscriber. A real broker and a real MQTT 5 device; the platform's side is a
 * stand-in {@link DeviceAdmission.Ingest} that fails on the messages it is told to.
 */
class BrokerAdmissionTest {

    private static final String SECRET = "admission-test-secret-0123456789";
    private static final String DEVICE = "edge-device-1";
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Long, so that a refusal seen well before it cannot be one after waiting. */
    private static final Duration ADMISSION_TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    static Path home;
    private static BrokerAdmission admission;
    private static EmbeddedBroker broker;
    private static Mqtt5AsyncClient device;
    private static Mqtt5AsyncClient platform;
    private static final List<String> handedIn = new CopyOnWriteArrayList<>();
    private static final List<String> routed = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        // One message in hand at a time: a place not given back after a failure would hold up every later publish,
        // which would then be refused with QUOTA_EXCEEDED after the timeout.
        admission = new BrokerAdmission(1, ADMISSION_TIMEOUT, 1);
        broker = EmbeddedBroker.start(new MqttSettings(true, "", 0, 0, false, "", "", "", SECRET, 1, ADMISSION_TIMEOUT,
                1, MqttSettings.Tls.generated(), "twin-platform"), home, admission, DeviceGate.OPEN);
        admission.open(BrokerAdmissionTest::ingest);
        platform = MqttClient.builder().useMqttVersion5().identifier("platform-stand-in").serverHost("127.0.0.1")
                .serverPort(broker.tlsPort()).sslConfig(broker.tls().clientConfig()).simpleAuth().username(EmbeddedBroker.PLATFORM_USER)
                .password(broker.platformPassword().getBytes(StandardCharsets.UTF_8)).applySimpleAuth().buildAsync();
        platform.connect().get(10, TimeUnit.SECONDS);
        for (String kind : List.of("reported", "telemetry")) {
            platform.subscribeWith().topicFilter("twins/+/" + kind).qos(MqttQos.AT_LEAST_ONCE)
                    .callback(publish -> routed.add(kind + " " + new String(publish.getPayloadAsBytes(),
                            StandardCharsets.UTF_8)))
                    .send().get(10, TimeUnit.SECONDS);
        }
        device = connect(DEVICE);
    }

    private static Mqtt5AsyncClient connect(String deviceId) throws Exception {
        Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5().identifier(deviceId).serverHost("127.0.0.1")
                .serverPort(broker.tlsPort()).sslConfig(BrokerTls.clientConfig(home.resolve("mqtt/tls/ca.crt")))
                .simpleAuth().username(deviceId)
                .password(broker.deviceKeys().password(deviceId).getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
                .buildAsync();
        client.connect().get(10, TimeUnit.SECONDS);
        return client;
    }

    @AfterAll
    static void stop() throws Exception {
        device.disconnect().get(10, TimeUnit.SECONDS);
        platform.disconnect().get(10, TimeUnit.SECONDS);
        broker.close();
    }

    /** Answers to messages that said {@code hold}: the platform answers them when the test completes them. */
    private static final List<CompletableFuture<Object>> held = new CopyOnWriteArrayList<>();

    /** The stand-in platform: answers, holds its answer, fails its answer, or throws, as the payload says. */
    private static CompletableFuture<?> ingest(TwinTopic topic, byte[] payload, Long expectedVersion,
                                               DeviceReplies replies) {
        String text = new String(payload, StandardCharsets.UTF_8);
        handedIn.add(text);
        if (text.contains("hold")) {
            CompletableFuture<Object> answer = new CompletableFuture<>();
            held.add(answer);
            return answer;
        }
        if (text.contains("fail-later")) {
            return CompletableFuture.supplyAsync(() -> {
                throw new IllegalStateException("the answer could not be published");
            });
        }
        if (text.contains("fail-now")) {
            throw new IllegalStateException("the platform refused the message before deciding it");
        }
        return CompletableFuture.completedFuture(null);
    }

    /**
     * One message in hand and one place to wait: a third device's publish is refused with {@code QUOTA_EXCEEDED} at
     * once instead of being held (every held publish costs the broker's extension threads), and the waiting one goes
     * in when the one in hand is answered.
     */
    @Test
    void overTheWaitingPlacesAPublishIsRefusedAtOnceAndTheWaitingOneGoesInWhenThereIsRoom() throws Exception {
        Mqtt5AsyncClient second = connect("edge-device-2");
        Mqtt5AsyncClient third = connect("edge-device-3");
        try {
            long refusedBefore = admission.refused();
            long suspensionsBefore = admission.suspensions();
            CompletableFuture<Mqtt5PublishResult> inHand = send(device, DEVICE, "{\"n\":10,\"mode\":\"hold\"}");
            await().atMost(WAIT).until(() -> !held.isEmpty());
            CompletableFuture<Mqtt5PublishResult> waiting = send(second, "edge-device-2", "{\"n\":11}");
            await().atMost(WAIT).until(() -> admission.suspended() == 1);

            long start = System.nanoTime();
            Mqtt5PubAckReasonCode overflow = reason(send(third, "edge-device-3", "{\"n\":12}"));
            long refusedAfterMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertThat(overflow).isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED);
            assertThat(refusedAfterMillis).as("refused at once, not after the 10 s a waiting publish may wait")
                    .isLessThan(ADMISSION_TIMEOUT.toMillis() / 2);
            assertThat(admission.refused() - refusedBefore).isEqualTo(1);
            assertThat(admission.suspensions() - suspensionsBefore).as("only the second device's publish waited")
                    .isEqualTo(1);
            assertThat(inHand).as("the held message has no PUBACK before its answer").isNotDone();
            assertThat(waiting).isNotDone();

            held.get(0).complete(null);
            assertThat(reason(inHand)).isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
            assertThat(reason(waiting)).as("the waiting publish, let in once there was room")
                    .isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
            assertThat(handedIn).as("the refused publish never reached the platform")
                    .doesNotContain("{\"n\":12}").contains("{\"n\":11}");
        } finally {
            held.forEach(answer -> answer.complete(null));
            second.disconnect().get(10, TimeUnit.SECONDS);
            third.disconnect().get(10, TimeUnit.SECONDS);
        }
    }

    private static CompletableFuture<Mqtt5PublishResult> send(Mqtt5AsyncClient client, String deviceId,
                                                              String payload) {
        return client.publishWith().topic("twins/" + deviceId + "/reported").qos(MqttQos.AT_LEAST_ONCE)
                .payload(payload.getBytes(StandardCharsets.UTF_8)).send();
    }

    @Test
    void settingsOutOfRangeStopTheStartWithTheSettingNamed() {
        assertThatThrownBy(() -> new BrokerAdmission(0, Duration.ofSeconds(1), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twin.mqtt.max-backlog");
        assertThatThrownBy(() -> new BrokerAdmission(1, Duration.ZERO, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twin.mqtt.admission-timeout");
        assertThatThrownBy(() -> new BrokerAdmission(1, Duration.ofSeconds(1), -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twin.mqtt.max-waiting");
    }

    @Test
    void aMessageThePlatformCannotAnswerIsRefusedWithUnspecifiedErrorAndTheNextOneStillGoesThrough() throws Exception {
        long unansweredBefore = admission.unanswered();
        int handedBefore = handedIn.size();

        assertThat(reasonFor("{\"n\":1,\"mode\":\"fail-later\"}")).as("an answer that failed")
                .isEqualTo(Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR);
        assertThat(reasonFor("{\"n\":2,\"mode\":\"fail-now\"}")).as("an ingest that threw")
                .isEqualTo(Mqtt5PubAckReasonCode.UNSPECIFIED_ERROR);
        assertThat(admission.unanswered() - unansweredBefore).isEqualTo(2);

        long refusedBefore = admission.refused();
        assertThat(reasonFor("{\"n\":3}")).as("the next message, with the one place in hand given back")
                .isEqualTo(Mqtt5PubAckReasonCode.SUCCESS);
        assertThat(admission.refused()).as("nothing waited out the timeout").isEqualTo(refusedBefore);
        assertThat(admission.backlog()).isZero();
        assertThat(admission.suspended()).isZero();
        assertThat(handedIn.subList(handedBefore, handedIn.size()))
                .as("each message handed to the platform once, in order").containsExactly(
                "{\"n\":1,\"mode\":\"fail-later\"}", "{\"n\":2,\"mode\":\"fail-now\"}", "{\"n\":3}");

        // A publish on the device's telemetry topic is not the edge's: it is routed as the broker routes any.
        device.publishWith().topic("twins/" + DEVICE + "/telemetry").qos(MqttQos.AT_LEAST_ONCE)
                .payload("{}".getBytes(StandardCharsets.UTF_8)).send().get(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (routed.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(routed).as("the edge's messages, answered or not, reach no subscriber; telemetry does")
                .containsExactly("telemetry {}");
    }

    private static Mqtt5PubAckReasonCode reasonFor(String payload) throws Exception {
        return reason(send(device, DEVICE, payload));
    }

    private static Mqtt5PubAckReasonCode reason(CompletableFuture<Mqtt5PublishResult> sent) throws Exception {
        try {
            Mqtt5PublishResult result = sent.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            return ((Mqtt5PublishResult.Mqtt5Qos1Result) result).getPubAck().getReasonCode();
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(Mqtt5PubAckException.class);
            return ((Mqtt5PubAckException) e.getCause()).getMqttMessage().getReasonCode();
        }
    }
}
