package io.twinplatform.history.kafka;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The producer the publisher runs: settings may tune it, never weaken its delivery guarantee. */
class KafkaSettingsTest {

    @Test
    void producerSettingsPassThroughButAcksAndIdempotenceStay() {
        KafkaSettings settings = settings(Map.of("acks", "0", "enable.idempotence", "false",
                "value.serializer", "org.apache.kafka.common.serialization.StringSerializer",
                "linger.ms", "20", "delivery.timeout.ms", "7000"));

        Map<String, Object> config = settings.producerConfig();

        assertThat(config).containsEntry(ProducerConfig.ACKS_CONFIG, "all")
                .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")
                .containsEntry(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                        "org.apache.kafka.common.serialization.ByteArraySerializer")
                .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "20")
                .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "broker:9092");
        assertThat(new KafkaClients(settings).deliveryTimeout()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void withoutSettingsAnOutageShowsWithinFifteenSeconds() {
        Map<String, Object> config = settings(Map.of()).producerConfig();

        assertThat(config).containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000")
                .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        assertThat(new KafkaClients(settings(Map.of())).deliveryTimeout()).isEqualTo(Duration.ofSeconds(15));
    }

    private static KafkaSettings settings(Map<String, String> producer) {
        return new KafkaSettings("broker:9092", "twin.events", "twin.state", "twin.computed", true, 6, (short) 1,
                URI.create("/twin-platform"), 100, 2, 500, Duration.ofMillis(100), producer);
    }
}
