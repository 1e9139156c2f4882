package io.twinplatform.history.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.TreeMap;

/**
 * One row of the event store as stored, and its canonical JSON: every column, the payload and metadata parsed and
 * written with object keys in sorted order, no whitespace. The chain hashes exactly this, so it depends only on
 * what is stored, never on how a program deserializes it.
 */
record StoredEvent(long globalIndex, String eventId, String aggregateId, long sequenceNumber, String type,
                   String payloadType, String payloadRevision, String timeStamp, byte[] payload, byte[] metaData) {

    /** The columns {@link #read} expects, in order. */
    static final String COLUMNS = "global_index, event_identifier, aggregate_identifier, sequence_number, type,"
            + " payload_type, payload_revision, time_stamp, payload, meta_data";

    static final String ZERO = "0".repeat(64);

    private static final ObjectMapper JSON = new ObjectMapper();

    static StoredEvent read(ResultSet rs) throws SQLException {
        return new StoredEvent(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getBytes(9), rs.getBytes(10));
    }

    String canonicalJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("aggregateIdentifier", aggregateId);
        node.put("eventIdentifier", eventId);
        node.put("globalIndex", globalIndex);
        node.set("metaData", sorted(parse(metaData)));
        node.set("payload", sorted(parse(payload)));
        node.put("payloadRevision", payloadRevision);
        node.put("payloadType", payloadType);
        node.put("sequenceNumber", sequenceNumber);
        node.put("timeStamp", timeStamp);
        node.put("type", type);
        return node.toString();
    }

    /** SHA-256 over the previous link's hash and this event's canonical JSON, hex. */
    String chain(String previousHash) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(previousHash.getBytes(StandardCharsets.US_ASCII));
            digest.update(canonicalJson().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static JsonNode parse(byte[] bytes) {
        if (bytes == null) {
            return JsonNodeFactory.instance.nullNode();
        }
        try {
            return JSON.readTree(bytes);
        } catch (IOException notJson) {
            // Not JSON (edited by hand, or another serializer): hash the bytes as they are.
            return JsonNodeFactory.instance.textNode(HexFormat.of().formatHex(bytes));
        }
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            TreeMap<String, JsonNode> fields = new TreeMap<>();
            for (Iterator<java.util.Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                java.util.Map.Entry<String, JsonNode> field = it.next();
                fields.put(field.getKey(), sorted(field.getValue()));
            }
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            fields.forEach(copy::set);
            return copy;
        }
        if (node.isArray()) {
            var copy = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> copy.add(sorted(element)));
            return copy;
        }
        return node;
    }
}
