package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import io.twinplatform.api.device.SasToken;
import io.twinplatform.deploy.mqtt.BrokerTls;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A device over its rate limit (this context: 20 messages a second, bursts of 40) is answered in its own protocol's
 * terms and its message is not applied: {@code $iothub/twin/res/429/} for Azure's, AWS's error document with code
 * 429 for a shadow update. Sent raw, as MQTT 3.1.1 clients of each protocol.
 */
class DeviceProtocolThrottleTest extends DeviceChannelTestSupport {

    private static final int BURST = 80;

    @Test
    void anAzureDeviceOverItsRateLimitIsAnswered429AndItsPatchIsNotApplied() throws Exception {
        String id = createDevice("{}");
        String token = SasToken.create("hub.example/devices/" + id, broker.deviceKeys().symmetricKey(id, 0),
                Instant.now().plusSeconds(600));
        Mqtt3AsyncClient device = client(id, "hub.example/" + id + "/?api-version=2021-04-12", token);
        BlockingQueue<Mqtt3Publish> answers = new LinkedBlockingQueue<>();
        try {
            device.subscribeWith().topicFilter("$iothub/twin/res/#").qos(MqttQos.AT_LEAST_ONCE)
                    .callback(answers::add).send().get(10, TimeUnit.SECONDS);
            List<CompletableFuture<?>> sent = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                sent.add(device.publishWith().topic("$iothub/twin/PATCH/properties/reported/?$rid=" + i)
                        .qos(MqttQos.AT_LEAST_ONCE).payload(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8))
                        .send());
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            int accepted = 0;
            int throttled = 0;
            for (int i = 0; i < BURST; i++) {
                Mqtt3Publish answer = answers.poll(20, TimeUnit.SECONDS);
                assertThat(answer).as("answer %d", i).isNotNull();
                String topic = answer.getTopic().toString();
                if (topic.startsWith("$iothub/twin/res/204/")) {
                    accepted++;
                } else {
                    assertThat(topic).startsWith("$iothub/twin/res/429/");
                    assertThat(TwinHttp.JSON.readTree(answer.getPayloadAsBytes()).get("code").asText())
                            .isEqualTo("throttled");
                    throttled++;
                }
            }
            assertThat(throttled).as("some patches were over the limit").isPositive();
            int applied = accepted;
            JsonNode twin = http.awaitJson("/twins/" + id, t -> t.path("properties").path("reported")
                    .path("$version").asLong() >= 1 + applied, java.time.Duration.ofSeconds(20));
            assertThat(twin.get("properties").get("reported").get("$version").asLong())
                    .as("only the accepted patches were applied").isEqualTo(1 + accepted);
        } finally {
            device.disconnect();
        }
    }

    @Test
    void anAwsDeviceOverItsRateLimitGetsAwsErrorDocument429() throws Exception {
        String id = createDevice("{}");
        Mqtt3AsyncClient device = client(id, id, broker.deviceKeys().password(id));
        BlockingQueue<Mqtt3Publish> answers = new LinkedBlockingQueue<>();
        String shadow = "$aws/things/" + id + "/shadow/update";
        try {
            device.subscribeWith().topicFilter(shadow + "/accepted").qos(MqttQos.AT_LEAST_ONCE)
                    .callback(answers::add).send().get(10, TimeUnit.SECONDS);
            device.subscribeWith().topicFilter(shadow + "/rejected").qos(MqttQos.AT_LEAST_ONCE)
                    .callback(answers::add).send().get(10, TimeUnit.SECONDS);
            List<CompletableFuture<?>> sent = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                sent.add(device.publishWith().topic(shadow).qos(MqttQos.AT_LEAST_ONCE)
                        .payload(("{\"state\":{\"reported\":{\"n\":" + i + "}},\"clientToken\":\"t" + i + "\"}")
                                .getBytes(StandardCharsets.UTF_8)).send());
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            int throttled = 0;
            for (int i = 0; i < BURST; i++) {
                Mqtt3Publish answer = answers.poll(20, TimeUnit.SECONDS);
                assertThat(answer).as("answer %d", i).isNotNull();
                if (answer.getTopic().toString().endsWith("/rejected")) {
                    JsonNode error = TwinHttp.JSON.readTree(answer.getPayloadAsBytes());
                    assertThat(error.get("code").asInt()).isEqualTo(429);
                    assertThat(error.get("clientToken").asText()).startsWith("t");
                    throttled++;
                }
            }
            assertThat(throttled).as("some updates were over the limit").isPositive();
        } finally {
            device.disconnect();
        }
    }

    private Mqtt3AsyncClient client(String id, String user, String password) throws Exception {
        Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier(id).serverHost("127.0.0.1")
                .serverPort(broker.tlsPort()).sslConfig(BrokerTls.clientConfig(DATA_DIR.resolve("mqtt/tls/ca.crt")))
                .simpleAuth().username(user).password(password.getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
                .buildAsync();
        client.connect().get(10, TimeUnit.SECONDS);
        return client;
    }
}
