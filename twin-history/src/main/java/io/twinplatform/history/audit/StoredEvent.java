package io.twinplatform.history.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
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

    /**
     * Builds every JSON object with its keys in sorted order (a {@link TreeMap}, so by {@link String#compareTo}) as it
     * is parsed: written back, a tree is canonical without a sorted copy of it.
     */
    private static final JsonNodeFactory SORTED = new JsonNodeFactory() {
        @Override
        public ObjectNode objectNode() {
            return new ObjectNode(this, new TreeMap<>());
        }
    };

    private static final ObjectMapper JSON = JsonMapper.builder().nodeFactory(SORTED).build();

    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    });

    static StoredEvent read(ResultSet rs) throws SQLException {
        return new StoredEvent(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getBytes(9), rs.getBytes(10));
    }

    String canonicalJson() {
        ObjectNode node = SORTED.objectNode();
        node.put("aggregateIdentifier", aggregateId);
        node.put("eventIdentifier", eventId);
        node.put("globalIndex", globalIndex);
        node.set("metaData", parse(metaData));
        node.set("payload", parse(payload));
        node.put("payloadRevision", payloadRevision);
        node.put("payloadType", payloadType);
        node.put("sequenceNumber", sequenceNumber);
        node.put("timeStamp", timeStamp);
        node.put("type", type);
        return node.toString();
    }

    /** SHA-256 over the previous link's hash and this event's canonical JSON, hex. */
    String chain(String previousHash) {
        MessageDigest digest = SHA_256.get();
        digest.reset();
        digest.update(previousHash.getBytes(StandardCharsets.US_ASCII));
        digest.update(canonicalJson().getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest.digest());
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
}
