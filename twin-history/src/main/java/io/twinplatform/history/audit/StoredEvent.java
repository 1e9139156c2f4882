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
 * One row of the event store as stored, and the two forms of its chain link (migration V28). Form 2, which the
 * chain appends: every column as stored, framed by its length. Form 1, of links written before it: the
 * canonical JSON of the row, every column with the payload and metadata parsed and written with object keys in sorted
 * order, no whitespace. Either depends only on what is stored, never on how a program deserializes it.
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

    /**
     * The form-2 link: SHA-256 over a UTF-8 header, then the payload's bytes, then the metadata's, hex. The header is
     * the previous link's hash and every other column, each followed by ',' (the last by ';'): numbers in decimal, a
     * text as its length in characters (code points, as PostgreSQL counts them), ':' and the text, the payload and
     * metadata as their lengths in bytes, NULL as '-'. The database computes the same ({@code event_chain_link},
     * migration V28) when it verifies.
     */
    String link(String previousHash) {
        StringBuilder header = new StringBuilder(256).append(previousHash).append(globalIndex).append(',');
        text(header, eventId);
        text(header, aggregateId);
        header.append(sequenceNumber).append(',');
        text(header, type);
        text(header, payloadType);
        text(header, payloadRevision);
        text(header, timeStamp);
        header.append(payload == null ? "-" : String.valueOf(payload.length)).append(',')
                .append(metaData == null ? "-" : String.valueOf(metaData.length)).append(';');
        MessageDigest digest = SHA_256.get();
        digest.reset();
        digest.update(header.toString().getBytes(StandardCharsets.UTF_8));
        if (payload != null) {
            digest.update(payload);
        }
        if (metaData != null) {
            digest.update(metaData);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void text(StringBuilder header, String text) {
        if (text == null) {
            header.append('-');
        } else {
            header.append(text.codePointCount(0, text.length())).append(':').append(text);
        }
        header.append(',');
    }

    /** The form-1 link: SHA-256 over the previous link's hash and this event's canonical JSON, hex. */
    String canonicalLink(String previousHash) {
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
