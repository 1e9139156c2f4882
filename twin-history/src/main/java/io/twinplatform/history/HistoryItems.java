package io.twinplatform.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;

/** A {@code twin_history} row (alias {@code h}) as the history and audit endpoints show it. */
public final class HistoryItems {

    /** The columns {@link #read} expects first, in this order. */
    public static final String COLUMNS = "h.twin_id, h.version, h.time, h.event_type, h.principal, h.channel,"
            + " h.transport, h.correlation_id, h.causation_id, h.reason, h.paths, h.change::text, h.event_id";
    /** How many columns {@link #COLUMNS} has; any further ones are the caller's. */
    public static final int WIDTH = 13;

    private HistoryItems() {
    }

    public static ObjectNode read(ResultSet rs, ObjectMapper mapper) throws SQLException {
        ObjectNode item = mapper.createObjectNode();
        item.put("time", rs.getTimestamp(3).toInstant().toString());
        item.put("twinId", rs.getString(1));
        item.put("version", rs.getLong(2));
        item.put("eventType", rs.getString(4));
        item.put("principal", rs.getString(5));
        item.put("channel", rs.getString(6));
        item.put("transport", rs.getString(7));
        item.put("correlationId", rs.getString(8));
        item.put("causationId", rs.getString(9));
        item.put("reason", rs.getString(10));
        ArrayNode paths = item.putArray("paths");
        paths(rs.getArray(11)).forEach(paths::add);
        item.set("change", parse(mapper, rs.getString(12)));
        item.put("eventId", rs.getString(13));
        return item;
    }

    public static List<String> paths(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.stream((Object[]) array.getArray()).map(String::valueOf).toList();
    }

    public static JsonNode parse(ObjectMapper mapper, String json) {
        try {
            return mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the history holds invalid JSON", e);
        }
    }
}
