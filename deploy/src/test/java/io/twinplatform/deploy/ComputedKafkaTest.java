package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Computed attributes on the Kafka stream: each value the platform computes from a device's MQTT telemetry goes to
 * the compacted computed topic, keyed by twin and attribute, as a CloudEvent; the alert it raises goes to the events
 * topic as the twin event {@code AlertRaised}, with the guarantees of every event.
 */
class ComputedKafkaTest extends KafkaPlatformTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Autowired
    EmbeddedBroker broker;

    @Test
    void computedValuesGoToTheComputedTopicAndTheirAlertsToTheEventsTopic() throws Exception {
        String id = TwinHttp.newDeviceId();
        assertThat(http.put("/twins/" + id, q("{'tags':{'kind':'kiln'}}")).status()).isEqualTo(201);
        String name = "kilnMax";
        assertThat(http.put("/computed/" + name, q("{'targetCondition':'deviceId = \\u0027" + id + "\\u0027',"
                + "'function':'max','input':'telemetry.heat','window':'PT10M','minSamples':1,"
                + "'alert':{'above':900,'clear':800}}")).status()).isEqualTo(201);
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(2));
        MqttDevice.Broker tls = MqttDevice.Broker.tls("127.0.0.1", broker.tlsPort(),
                DATA_DIR.resolve("mqtt/tls/ca.crt"));
        try (MqttDevice device = MqttDevice.connect(tls, id, broker.deviceKeys().password(id)).subscribe()) {
            device.publish("telemetry", q("{'ts':'" + t0 + "','heat':950}"));
            http.awaitJson("/twins/" + id + "/computed", t -> t.path("computed").path(name).path("value")
                    .asDouble() == 950.0, WAIT);
        }

        List<ConsumerRecord<String, byte[]>> values = read(COMPUTED, id + "#", records -> !records.isEmpty());
        ConsumerRecord<String, byte[]> value = values.get(values.size() - 1);
        assertThat(value.key()).isEqualTo(id + "#" + name);
        JsonNode cloudEvent = TwinHttp.JSON.readTree(value.value());
        assertThat(cloudEvent.get("type").asText()).isEqualTo("io.twinplatform.computed.ComputedValue.v1");
        assertThat(cloudEvent.get("subject").asText()).isEqualTo(id);
        assertThat(cloudEvent.get("time").asText()).isEqualTo(t0.toString());
        JsonNode data = cloudEvent.get("data");
        assertThat(data.get("name").asText()).isEqualTo(name);
        assertThat(data.get("value").asDouble()).isEqualTo(950.0);
        assertThat(data.get("detail").get("function").asText()).isEqualTo("max");

        List<ConsumerRecord<String, byte[]>> events = read(EVENTS, id, records -> records.stream()
                .anyMatch(r -> new String(r.value()).contains("io.twinplatform.twin.AlertRaised.v1")));
        JsonNode raised = events.stream().map(r -> {
            try {
                return TwinHttp.JSON.readTree(r.value());
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }).filter(e -> e.get("type").asText().endsWith("AlertRaised.v1")).findFirst().orElseThrow();
        assertThat(raised.get("data").get("event").get("value").asDouble()).isEqualTo(950.0);
        assertThat(raised.get("data").get("metadata").get("principal").asText()).isEqualTo("computed:" + name);
        assertMatchesSchemas(raised);
    }
}
