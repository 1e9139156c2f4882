package io.twinplatform.history.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two forms an auditor recomputes a link from. Form 2: a header of every column framed by its length, then the
 * payload and metadata as stored.
 * Form 1: every column, payload and metadata with object keys sorted at every depth, no whitespace. Either link is
 * SHA-256 over the previous link's hex hash and that form.
 */
class StoredEventTest {

    private static final ObjectMapper PLAIN = new ObjectMapper();

    @Test
    void theCanonicalFormSortsKeysAtEveryDepthAndHashesOntoThePreviousLink() throws Exception {
        StoredEvent event = event("{\"z\":1,\"a\":{\"y\":[{\"b\":true,\"a\":null}],\"x\":\"é\"}}",
                "{\"principal\":\"alice\",\"channel\":\"http\"}");
        String canonical = "{\"aggregateIdentifier\":\"d1\",\"eventIdentifier\":\"e1\",\"globalIndex\":7,"
                + "\"metaData\":{\"channel\":\"http\",\"principal\":\"alice\"},"
                + "\"payload\":{\"a\":{\"x\":\"é\",\"y\":[{\"a\":null,\"b\":true}]},\"z\":1},"
                + "\"payloadRevision\":\"1\",\"payloadType\":\"io.twinplatform.api.twin.TwinPatched\","
                + "\"sequenceNumber\":3,\"timeStamp\":\"2026-12-06T22:00:00.000Z\",\"type\":\"TwinAggregate\"}";
        assertThat(event.canonicalJson()).isEqualTo(canonical);

        String previous = "ab".repeat(32);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update((previous + canonical).getBytes(StandardCharsets.UTF_8));
        assertThat(event.canonicalLink(previous)).isEqualTo(HexFormat.of().formatHex(sha.digest()));
        assertThat(event.canonicalLink(StoredEvent.ZERO)).as("the previous link is part of the hash")
                .isNotEqualTo(event.canonicalLink(previous));
    }

    @Test
    void theSecondFormHashesAHeaderOfEveryColumnThenThePayloadAndMetadataAsStored() throws Exception {
        byte[] payload = "{\"z\":1, \"a\":\"é\"}".getBytes(StandardCharsets.UTF_8);
        StoredEvent event = new StoredEvent(7, "e1", "dé😀", 3, null, "io.twinplatform.api.twin.TwinPatched", "1",
                "2026-12-06T22:00:00.000Z", payload, null);
        String previous = "ab".repeat(32);
        String header = previous + "7,2:e1,3:dé😀,3,-,36:io.twinplatform.api.twin.TwinPatched,1:1,"
                + "24:2026-12-06T22:00:00.000Z," + payload.length + ",-;";
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(header.getBytes(StandardCharsets.UTF_8));
        sha.update(payload);
        String expected = HexFormat.of().formatHex(sha.digest());
        assertThat(event.link(previous)).isEqualTo(expected);
        assertThat(event.link(StoredEvent.ZERO)).as("the previous link is part of the hash").isNotEqualTo(expected);
        StoredEvent reformatted = new StoredEvent(7, "e1", "dé😀", 3, null, "io.twinplatform.api.twin.TwinPatched",
                "1", "2026-12-06T22:00:00.000Z", "{\"z\":1,\"a\":\"é\"}".getBytes(StandardCharsets.UTF_8), null);
        assertThat(reformatted.link(previous)).as("the same JSON stored with other bytes is another event")
                .isNotEqualTo(expected);
        StoredEvent emptyType = new StoredEvent(7, "e1", "dé😀", 3, "", "io.twinplatform.api.twin.TwinPatched", "1",
                "2026-12-06T22:00:00.000Z", payload, null);
        assertThat(emptyType.link(previous)).as("an empty column is not a NULL one").isNotEqualTo(expected);
        StoredEvent moved = new StoredEvent(7, "e1", "dé😀", 3, null, "io.twinplatform.api.twin.TwinPatched", "1",
                "2026-12-06T22:00:00.000Z", new byte[0], payload);
        assertThat(moved.link(previous)).as("bytes moved from the payload to the metadata").isNotEqualTo(expected);
    }

    @Test
    void aPayloadThatIsNotJsonIsHashedAsItsBytes() {
        StoredEvent event = new StoredEvent(1, "e", "a", 0, null, "t", null, "2026-12-06T22:00:00.000Z",
                new byte[]{(byte) 0xff, 0x01}, null);
        assertThat(event.canonicalJson()).contains("\"payload\":\"ff01\"").contains("\"metaData\":null");
    }

    /**
     * Random documents (nested objects and arrays, repeated keys, escapes, non-ASCII text, numbers of every kind)
     * give exactly the form of parsing them plainly and copying every object into sorted order: the form links were
     * chained with before objects were parsed sorted.
     */
    @Test
    void objectsParsedSortedGiveTheFormOfASortedCopy() throws Exception {
        Random random = new Random(17);
        for (int i = 0; i < 5_000; i++) {
            String payload = document(random, 0).toString();
            if (random.nextInt(10) == 0) {
                // a key written twice: the last one counts
                payload = "{\"k\":1," + payload.substring(1, payload.length() - 1)
                        + (payload.length() > 2 ? "," : "") + "\"k\":2}";
            }
            String metaData = document(random, 2).toString();
            StoredEvent event = event(payload, metaData);
            assertThat(event.canonicalJson()).as("payload %s", payload).isEqualTo(sortedCopy(event));
        }
    }

    private static StoredEvent event(String payload, String metaData) {
        return new StoredEvent(7, "e1", "d1", 3, "TwinAggregate", "io.twinplatform.api.twin.TwinPatched", "1",
                "2026-12-06T22:00:00.000Z", payload.getBytes(StandardCharsets.UTF_8),
                metaData.getBytes(StandardCharsets.UTF_8));
    }

    /** The canonical form as first defined: a plain parse, then every object copied with its keys sorted. */
    private static String sortedCopy(StoredEvent event) throws IOException {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("aggregateIdentifier", event.aggregateId());
        node.put("eventIdentifier", event.eventId());
        node.put("globalIndex", event.globalIndex());
        node.set("metaData", sorted(PLAIN.readTree(event.metaData())));
        node.set("payload", sorted(PLAIN.readTree(event.payload())));
        node.put("payloadRevision", event.payloadRevision());
        node.put("payloadType", event.payloadType());
        node.put("sequenceNumber", event.sequenceNumber());
        node.put("timeStamp", event.timeStamp());
        node.put("type", event.type());
        return node.toString();
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            TreeMap<String, JsonNode> fields = new TreeMap<>();
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                fields.put(field.getKey(), sorted(field.getValue()));
            }
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            fields.forEach(copy::set);
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> copy.add(sorted(element)));
            return copy;
        }
        return node;
    }

    private static final String[] KEYS = {"a", "B", "b", "aa", "a b", "Ä", "é", "$version", "$metadata", "_", "10", "9",
            "z\"q", "tab\t", "\u2028", "😀", "key"};

    private static ObjectNode document(Random random, int depth) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        int size = random.nextInt(depth > 3 ? 2 : 6);
        for (int i = 0; i < size; i++) {
            node.set(KEYS[random.nextInt(KEYS.length)] + (random.nextBoolean() ? "" : random.nextInt(5)),
                    value(random, depth + 1));
        }
        return node;
    }

    private static JsonNode value(Random random, int depth) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        switch (random.nextInt(depth > 3 ? 7 : 9)) {
            case 0:
                return nodes.nullNode();
            case 1:
                return nodes.booleanNode(random.nextBoolean());
            case 2:
                return nodes.numberNode(random.nextLong());
            case 3:
                return nodes.numberNode(random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
            case 4:
                return nodes.numberNode(new java.math.BigInteger(100, random));
            case 5:
                return nodes.numberNode(random.nextInt(100));
            case 6:
                return nodes.textNode(KEYS[random.nextInt(KEYS.length)] + "\\/\n\u0001" + random.nextInt());
            case 7: {
                ArrayNode array = nodes.arrayNode();
                int size = random.nextInt(4);
                for (int i = 0; i < size; i++) {
                    array.add(value(random, depth + 1));
                }
                return array;
            }
            default:
                return document(random, depth);
        }
    }
}
