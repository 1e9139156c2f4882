package io.twinplatform.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A service that keeps each twin's reported properties, with plain kafka-clients and Jackson: it bootstraps from the
 * compacted twin.state topic, then follows twin.events. Records it already applied (a redelivery, a replay, or an
 * event the bootstrap state already holds) are skipped by the twin's version.
 *
 * <pre>java TwinEventsConsumer localhost:9092 my-service [seconds]</pre>
 */
public final class TwinEventsConsumer implements AutoCloseable {

    /** What this service keeps of a twin. */
    public record Twin(long version, ObjectNode reported) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, Twin> twins = new HashMap<>();
    private final KafkaConsumer<String, byte[]> events;
    private final Properties config = new Properties();

    public TwinEventsConsumer(String bootstrapServers, String groupId) {
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Properties follow = new Properties();
        follow.putAll(config);
        follow.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        follow.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        follow.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        events = new KafkaConsumer<>(follow);
    }

    /** Reads twin.state from its beginning to its current end: every twin's document, or a tombstone. */
    public void bootstrap() throws IOException {
        try (KafkaConsumer<String, byte[]> state = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = state.partitionsFor("twin.state").stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            state.assign(partitions);
            state.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = state.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> state.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> record : state.poll(Duration.ofMillis(500))) {
                    if (record.value() == null) {
                        twins.remove(record.key());
                    } else {
                        JsonNode doc = JSON.readTree(record.value());
                        ObjectNode reported = doc.path("properties").path("reported").deepCopy();
                        reported.remove(List.of("$metadata", "$version"));
                        twins.put(record.key(), new Twin(doc.path("version").asLong(), reported));
                    }
                }
            }
        }
        events.subscribe(List.of("twin.events"));
    }

    /** Applies what twin.events has now, commits, and returns how many events changed something. */
    public int poll(Duration timeout) throws IOException {
        int applied = 0;
        for (ConsumerRecord<String, byte[]> record : events.poll(timeout)) {
            JsonNode cloudEvent = JSON.readTree(record.value());
            if (apply(cloudEvent.path("type").asText(), cloudEvent.path("data"))) {
                applied++;
            }
        }
        events.commitSync();
        return applied;
    }

    private boolean apply(String type, JsonNode data) {
        String twinId = data.path("twinId").asText();
        long version = data.path("version").asLong();
        Twin known = twins.get(twinId);
        if (known != null && version <= known.version()) {
            return false;
        }
        JsonNode event = data.path("event");
        switch (type) {
            case "io.twinplatform.twin.TwinCreated.v1" -> twins.put(twinId, new Twin(version, JSON.createObjectNode()));
            case "io.twinplatform.twin.ReportedPropertiesPatched.v1" -> {
                if (known == null) {
                    return false;
                }
                twins.put(twinId, new Twin(version, mergePatch(known.reported(), (ObjectNode) event.path("patch"))));
            }
            case "io.twinplatform.twin.TwinDeleted.v1" -> twins.remove(twinId);
            default -> {
                if (known == null) {
                    return false;
                }
                twins.put(twinId, new Twin(version, known.reported()));
            }
        }
        return true;
    }

    /** RFC 7396: null removes a key, an object merges into an object, anything else replaces. */
    static ObjectNode mergePatch(ObjectNode target, ObjectNode patch) {
        ObjectNode result = target.deepCopy();
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                result.remove(field.getKey());
            } else if (value.isObject() && result.path(field.getKey()).isObject()) {
                result.set(field.getKey(), mergePatch((ObjectNode) result.get(field.getKey()), (ObjectNode) value));
            } else if (value.isObject()) {
                result.set(field.getKey(), mergePatch(JSON.createObjectNode(), (ObjectNode) value));
            } else {
                result.set(field.getKey(), value);
            }
        }
        return result;
    }

    public Map<String, Twin> twins() {
        return twins;
    }

    @Override
    public void close() {
        events.close();
    }

    /** Follows the stream for the given seconds (default: until stopped), printing how many twins it knows. */
    public static void main(String[] args) throws IOException {
        long until = args.length > 2 ? System.nanoTime() + Long.parseLong(args[2]) * 1_000_000_000L : Long.MAX_VALUE;
        try (TwinEventsConsumer consumer = new TwinEventsConsumer(args[0], args.length > 1 ? args[1] : "twin-example")) {
            consumer.bootstrap();
            System.out.println(consumer.twins().size() + " twins from twin.state");
            while (System.nanoTime() < until) {
                int applied = consumer.poll(Duration.ofSeconds(1));
                if (applied > 0) {
                    System.out.println(applied + " events applied, " + consumer.twins().size() + " twins");
                }
            }
        }
    }
}
