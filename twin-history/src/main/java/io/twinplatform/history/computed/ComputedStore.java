package io.twinplatform.history.computed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.model.TwinJson;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Repository;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Computed attributes in plain JDBC: the definitions ({@code computed_definition}), each twin's latest value of each
 * ({@code computed_value}), and the telemetry samples a computation reads.
 */
@Repository
public class ComputedStore {

    private static final ObjectMapper JSON = TwinJson.newMapper();
    private static final String DEFINITION_COLUMNS = "name, definition::text, version, created_at, updated_at,"
            + " updated_by";
    private static final String VALUE_COLUMNS = "twin_id, name, value, detail::text, computed_at, alert_raised,"
            + " alert_changed";

    /** A definition as stored, with its version (the etag) and who wrote it last. */
    public record Stored(ComputedDefinition definition, long version, Instant createdAt, Instant updatedAt,
                         String updatedBy) {

        public String etag() {
            return "\"" + version + "\"";
        }

        public ObjectNode toJson() {
            ObjectNode json = JsonNodeFactory.instance.objectNode();
            json.put("name", definition.name());
            json.setAll(definition.toJson());
            json.put("etag", etag());
            json.put("createdDateTimeUtc", Timestamps.format(createdAt));
            json.put("lastUpdatedDateTimeUtc", Timestamps.format(updatedAt));
            json.put("updatedBy", updatedBy);
            return json;
        }
    }

    /**
     * A twin's latest value of a computed attribute.
     *
     * @param value        the value; null when the function had no result (the reason is in {@code detail})
     * @param detail       the input window, the samples it held and the model's parameters
     * @param computedAt   the latest sample's instant of the window
     * @param alertRaised  whether the attribute's alert is raised for this twin
     * @param alertChanged when it was last raised or cleared; null if never
     */
    public record Value(String twinId, String name, Double value, ObjectNode detail, Instant computedAt,
                        boolean alertRaised, Instant alertChanged) {

        public ObjectNode toJson() {
            ObjectNode json = JsonNodeFactory.instance.objectNode();
            json.put("twinId", twinId);
            json.put("name", name);
            if (value == null) {
                json.putNull("value");
            } else {
                json.put("value", value);
            }
            json.put("computedAt", Timestamps.format(computedAt));
            json.set("detail", detail);
            ObjectNode alert = json.putObject("alert");
            alert.put("raised", alertRaised);
            if (alertChanged == null) {
                alert.putNull("changedAt");
            } else {
                alert.put("changedAt", Timestamps.format(alertChanged));
            }
            return json;
        }
    }

    private static final RowMapper<Stored> STORED = (rs, n) -> new Stored(
            ComputedDefinitions.parse(rs.getString(1), parse(rs.getString(2))), rs.getLong(3),
            rs.getTimestamp(4).toInstant(), rs.getTimestamp(5).toInstant(), rs.getString(6));

    private static final RowMapper<Value> VALUE = (rs, n) -> {
        double value = rs.getDouble(3);
        Timestamp changed = rs.getTimestamp(7);
        return new Value(rs.getString(1), rs.getString(2), rs.wasNull() ? null : value, parse(rs.getString(4)),
                rs.getTimestamp(5).toInstant(), rs.getBoolean(6), changed == null ? null : changed.toInstant());
    };

    private final JdbcTemplate jdbc;

    ComputedStore(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    Optional<Stored> find(String name) {
        return jdbc.query("SELECT " + DEFINITION_COLUMNS + " FROM computed_definition WHERE name = ?", STORED, name)
                .stream().findFirst();
    }

    List<Stored> all() {
        return jdbc.query("SELECT " + DEFINITION_COLUMNS + " FROM computed_definition ORDER BY name", STORED);
    }

    /**
     * Creates or replaces a definition; {@code expectedVersion} (If-Match), when given, must be its version. Returns
     * the definition as stored, or empty when {@code expectedVersion} did not match. A replaced definition's values
     * are dropped: they were computed by what it said before.
     */
    Optional<Stored> put(ComputedDefinition definition, Long expectedVersion, String by, Instant now) {
        Timestamp at = Timestamp.from(now);
        List<Stored> stored = jdbc.query("""
                        INSERT INTO computed_definition AS d (name, definition, version, created_at, updated_at,
                            updated_by)
                        SELECT ?, ?::jsonb, 1, ?, ?, ?
                        WHERE ?::bigint IS NULL OR EXISTS (SELECT 1 FROM computed_definition WHERE name = ? AND version = ?)
                        ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, version = d.version + 1,
                            updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
                        WHERE ?::bigint IS NULL OR d.version = ?
                        RETURNING""" + " " + DEFINITION_COLUMNS.replace("name,", "d.name,"), STORED,
                definition.name(), definition.toJson().toString(), at, at, by, expectedVersion, definition.name(),
                expectedVersion, expectedVersion, expectedVersion);
        stored.stream().filter(s -> s.version() > 1).findFirst().ifPresent(s -> jdbc.update(
                "DELETE FROM computed_value WHERE name = ? AND NOT alert_raised", s.definition().name()));
        return stored.stream().findFirst();
    }

    /** Deletes a definition and its values (raised alerts are cleared by the caller first). */
    boolean delete(String name) {
        return jdbc.update("DELETE FROM computed_definition WHERE name = ?", name) > 0;
    }

    /**
     * Saves a twin's latest value, keeping its alert state, and answers the row as saved (with that alert state);
     * empty when the definition is gone.
     */
    Optional<Value> save(String twinId, String name, Double value, ObjectNode detail, Instant computedAt) {
        return jdbc.query("""
                INSERT INTO computed_value AS v (twin_id, name, value, detail, computed_at)
                SELECT ?, ?, ?, ?::jsonb, ? WHERE EXISTS (SELECT 1 FROM computed_definition WHERE name = ?)
                ON CONFLICT (twin_id, name) DO UPDATE SET value = EXCLUDED.value, detail = EXCLUDED.detail,
                    computed_at = EXCLUDED.computed_at
                RETURNING""" + " " + VALUE_COLUMNS.replace("twin_id,", "v.twin_id,").replace(" name,", " v.name,"),
                VALUE, twinId, name, value, detail.toString(), Timestamp.from(computedAt), name).stream().findFirst();
    }

    /** Records that the twin's alert of {@code name} was raised or cleared at {@code at}. */
    void alert(String twinId, String name, boolean raised, Instant at) {
        jdbc.update("UPDATE computed_value SET alert_raised = ?, alert_changed = ? WHERE twin_id = ? AND name = ?",
                raised, Timestamp.from(at), twinId, name);
    }

    Optional<Value> value(String twinId, String name) {
        return jdbc.query("SELECT " + VALUE_COLUMNS + " FROM computed_value WHERE twin_id = ? AND name = ?", VALUE,
                twinId, name).stream().findFirst();
    }

    /** A twin's values, by name. */
    public List<Value> values(String twinId) {
        return jdbc.query("SELECT " + VALUE_COLUMNS + " FROM computed_value WHERE twin_id = ? ORDER BY name", VALUE,
                twinId);
    }

    /** Raised alerts, by name then twin, after ({@code afterName}, {@code afterTwin}) when given; at most limit. */
    List<Value> alerts(String name, String afterName, String afterTwin, int limit) {
        return jdbc.query("SELECT " + VALUE_COLUMNS + " FROM computed_value WHERE alert_raised"
                        + " AND (?::text IS NULL OR name = ?)"
                        + " AND (?::text IS NULL OR (name, twin_id) > (?, ?)) ORDER BY name, twin_id LIMIT ?", VALUE,
                name, name, afterName, afterName, afterTwin, limit);
    }

    /** One series of one twin in {@code (from, to]}, in time order. */
    List<Sample> samples(String twinId, String series, Instant from, Instant to) {
        return jdbc.query("SELECT ts, value FROM telemetry WHERE twin_id = ? AND name = ? AND ts > ? AND ts <= ?"
                        + " ORDER BY ts", (rs, n) -> new Sample(rs.getTimestamp(1).toInstant(), rs.getDouble(2)),
                twinId, series, Timestamp.from(from), Timestamp.from(to));
    }

    /** A value of a twin's history at an instant: the value at a path of the twin after one of its events. */
    record HistoryValue(Instant time, JsonNode value) {
    }

    /**
     * The value at {@code path} of the twin's document over {@code (from, to]}: first its value as of {@code from}
     * (after its last event at or before it; absent when the twin's history starts later), then after each event in
     * the range, in order. A deleted twin's rows are left out.
     */
    List<HistoryValue> history(String twinId, List<String> path, Instant from, Instant to) {
        String[] segments = path.toArray(String[]::new);
        Timestamp start = Timestamp.from(from);
        return jdbc.query(connection -> {
            var select = connection.prepareStatement("""
                    (SELECT time, (state #> ?)::text FROM twin_history
                     WHERE twin_id = ? AND time <= ? AND state IS NOT NULL ORDER BY time DESC, version DESC LIMIT 1)
                    UNION ALL
                    (SELECT time, (state #> ?)::text FROM twin_history
                     WHERE twin_id = ? AND time > ? AND time <= ? AND state IS NOT NULL ORDER BY time, version)""");
            var array = connection.createArrayOf("text", segments);
            select.setArray(1, array);
            select.setString(2, twinId);
            select.setTimestamp(3, start);
            select.setArray(4, array);
            select.setString(5, twinId);
            select.setTimestamp(6, start);
            select.setTimestamp(7, Timestamp.from(to));
            return select;
        }, (rs, n) -> {
            String value = rs.getString(2);
            return new HistoryValue(rs.getTimestamp(1).toInstant(), value == null ? null : parseValue(value));
        });
    }

    /** The time of the twin's latest history row, if any. */
    Optional<Instant> latestHistory(String twinId) {
        return jdbc.query("SELECT max(time) FROM twin_history WHERE twin_id = ?", (rs, n) -> rs.getTimestamp(1),
                twinId).stream().filter(t -> t != null).map(Timestamp::toInstant).findFirst();
    }

    /** The twins that have telemetry of {@code series} (the whole table: retention bounds it). */
    List<String> twinsWith(String series) {
        return jdbc.queryForList("SELECT DISTINCT twin_id FROM telemetry WHERE name = ? ORDER BY twin_id",
                String.class, series);
    }

    /** Every twin the history knows that is not deleted. */
    List<String> twinsWithHistory() {
        return jdbc.queryForList("SELECT twin_id FROM twin_history_head WHERE state IS NOT NULL ORDER BY twin_id",
                String.class);
    }

    /** The instant of the latest sample of one series of one twin, if any. */
    Optional<Instant> latest(String twinId, String series) {
        return jdbc.query("SELECT max(ts) FROM telemetry WHERE twin_id = ? AND name = ?",
                (rs, n) -> rs.getTimestamp(1), twinId, series).stream().filter(t -> t != null)
                .map(Timestamp::toInstant).findFirst();
    }

    private static JsonNode parseValue(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored twin is not JSON", e);
        }
    }

    private static ObjectNode parse(String text) {
        try {
            return (ObjectNode) JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored computed attribute is not JSON", e);
        }
    }
}
