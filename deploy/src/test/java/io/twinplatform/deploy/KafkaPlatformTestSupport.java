package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The platform with its Kafka stream on, publishing to a real in-JVM KRaft broker (one context for every Kafka test
 * class). The producer's time limits are short so that an outage shows within seconds.
 */
@SpringBootTest(classes = TwinPlatformApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class KafkaPlatformTestSupport {

    static final Path DATA_DIR = TestDataDirs.fresh();
    static final KafkaTestBroker KAFKA = KafkaTestBroker.start();
    static final String EVENTS = "twin.events";
    static final String STATE = "twin.state";
    static final String COMPUTED = "twin.computed";

    @DynamicPropertySource
    static void kafkaPlatformProperties(DynamicPropertyRegistry registry) {
        registry.add("twin.data-dir", DATA_DIR::toString);
        registry.add("twin.kafka.bootstrap-servers", KAFKA::bootstrapServers);
        // The device channel too, for computed values from MQTT telemetry.
        registry.add("twin.mqtt.enabled", () -> "true");
        registry.add("twin.mqtt.tls-port", () -> "0");
        registry.add("twin.kafka.producer.delivery.timeout.ms", () -> "6000");
        registry.add("twin.kafka.producer.request.timeout.ms", () -> "2000");
        registry.add("twin.kafka.producer.max.block.ms", () -> "3000");
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    TwinHttp http;

    @BeforeEach
    void client() {
        http = new TwinHttp(port, DATA_DIR);
    }

    /** One stored event of a twin: what every record about it must match. */
    record StoredEvent(String twinId, long version, String id, String type) {
    }

    /** The event store's events of the twins whose ids start with {@code prefix}, by twin and version. */
    List<StoredEvent> storedEvents(String prefix) {
        return jdbc.query("SELECT aggregate_identifier, sequence_number, event_identifier, payload_type"
                        + " FROM domain_event_entry WHERE aggregate_identifier LIKE ? ORDER BY aggregate_identifier,"
                        + " sequence_number", (rs, row) -> new StoredEvent(rs.getString(1), rs.getLong(2) + 1,
                        rs.getString(3), rs.getString(4)), prefix + "%");
    }

    /** The publisher's health ({@code status}, {@code details}) once it is running with nothing left to send. */
    JsonNode awaitCaughtUp() {
        return awaitPublisher(health -> "running".equals(health.path("details").path("state").asText())
                && health.path("details").path("lag").asLong(-1) == 0, Duration.ofSeconds(90));
    }

    /** Waits until the publisher's health component ({@code status}, {@code details}) meets {@code condition}. */
    JsonNode awaitPublisher(Predicate<JsonNode> condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode health = null;
        while (System.nanoTime() < deadline) {
            health = http.get("/actuator/health").json().path("components").path("kafkaPublisher");
            if (condition.test(health)) {
                return health;
            }
            sleep(100);
        }
        throw new AssertionError("the Kafka publisher did not reach the expected state: " + health);
    }

    /**
     * Reads {@code topic} from its beginning, keeping the records whose key starts with {@code prefix}, until
     * {@code done} holds for what was read (then returns it) or the time is up (then fails).
     */
    static List<ConsumerRecord<String, byte[]>> read(String topic, String prefix,
                                                      Predicate<List<ConsumerRecord<String, byte[]>>> done) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (!done.test(records)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("reading " + topic + " for " + prefix + "*: condition not met after "
                            + records.size() + " records");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                    if (record.key() != null && record.key().startsWith(prefix)) {
                        records.add(record);
                    }
                });
            }
        }
        return records;
    }

    /**
     * Fails unless {@code cloudEvent} matches the envelope schema and its {@code data} the schema of its type, as
     * published in docs/schemas/events (the contract docs/events.md shows).
     */
    static void assertMatchesSchemas(JsonNode cloudEvent) {
        String type = cloudEvent.path("type").asText();
        String name = type.substring("io.twinplatform.twin.".length());
        assertThat(schema("cloudevent.schema.json").validate(cloudEvent)).as("envelope of %s", cloudEvent).isEmpty();
        assertThat(schema(name + ".schema.json").validate(cloudEvent.path("data"))).as("data of %s", cloudEvent)
                .isEmpty();
    }

    private static final Map<String, JsonSchema> SCHEMAS = new ConcurrentHashMap<>();

    private static JsonSchema schema(String file) {
        return SCHEMAS.computeIfAbsent(file, name -> {
            try {
                JsonNode node = TwinHttp.JSON.readTree(Path.of("..", "docs", "schemas", "events", name).toFile());
                return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(node,
                        SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static JsonNode json(byte[] value) {
        try {
            return TwinHttp.JSON.readTree(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void assertCreated(TwinHttp.Reply reply) {
        assertThat(reply.status()).as("%s", reply).isEqualTo(201);
    }
}
