package io.twinplatform.history.kafka;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Settings of the Kafka stream, under {@code twin.kafka}. The stream is off unless {@code bootstrapServers} is set
 * ({@code TWIN_KAFKA_BOOTSTRAP} in the default configuration).
 *
 * @param bootstrapServers  the brokers, e.g. {@code localhost:9092}; empty leaves the stream off
 * @param eventsTopic       every twin event as a CloudEvent, keyed by twin id (default {@code twin.events})
 * @param stateTopic        each twin's current document, keyed by twin id, compacted (default {@code twin.state})
 * @param computedTopic     each twin's latest value of each computed attribute, keyed by {@code <twin id>#<name>},
 *                          compacted (default {@code twin.computed})
 * @param createTopics      create both topics when they are missing (default true)
 * @param partitions        partitions of a topic the platform creates (default 6)
 * @param replicationFactor replicas of a topic the platform creates (default 1: a single local broker; use 3 on a
 *                          production cluster, with {@code min.insync.replicas=2})
 * @param source            the CloudEvents {@code source} of every record (default {@code /twin-platform})
 * @param cacheSize         twins whose latest state the publisher keeps in memory (default 20000); a twin not in it
 *                          is folded from the event store once
 * @param threads           the publisher's threads, and segments when its tokens are first made (default 2); a
 *                          twin's events always go out from one of them, in order
 * @param batchSize         events per batch, acknowledged together before the token moves (default 500)
 * @param pollInterval      the longest the publisher waits for new events before it looks again (default 100 ms);
 *                          Axon's default of a second shows as up to a second of latency whenever its reader has
 *                          fallen off the event store's shared cache (after a backlog)
 * @param producer          further Kafka producer settings, passed as they are (e.g. {@code compression.type});
 *                          {@code acks} and {@code enable.idempotence} cannot be weakened
 */
@ConfigurationProperties("twin.kafka")
public record KafkaSettings(String bootstrapServers,
                            @DefaultValue("twin.events") String eventsTopic,
                            @DefaultValue("twin.state") String stateTopic,
                            @DefaultValue("twin.computed") String computedTopic,
                            @DefaultValue("true") boolean createTopics,
                            @DefaultValue("6") int partitions,
                            @DefaultValue("1") short replicationFactor,
                            @DefaultValue("/twin-platform") URI source,
                            @DefaultValue("20000") int cacheSize,
                            @DefaultValue("2") int threads,
                            @DefaultValue("500") int batchSize,
                            @DefaultValue("100ms") Duration pollInterval,
                            Map<String, String> producer) {

    /** Producer settings the publisher's guarantees rest on: {@code twin.kafka.producer} cannot change them. */
    public static final Set<String> FIXED = Set.of(ProducerConfig.ACKS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);

    public KafkaSettings {
        producer = producer == null ? Map.of() : Map.copyOf(producer);
    }

    /**
     * The publisher's producer configuration: defaults that let an outage show within 15 seconds (a failed batch is
     * only sent again, so a short limit costs duplicates at most), then {@code producer} except the {@link #FIXED}
     * keys, then an idempotent producer with {@code acks=all}, string keys and byte values.
     */
    public Map<String, Object> producerConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000");
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "twin-platform-publisher");
        producer.forEach((key, value) -> {
            if (!FIXED.contains(key)) {
                config.put(key, value);
            }
        });
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return config;
    }
}
