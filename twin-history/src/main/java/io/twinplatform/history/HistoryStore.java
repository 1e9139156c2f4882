package io.twinplatform.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.TwinState;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The history table and the projection's head table, in plain JDBC. */
@Repository
class HistoryStore {

    /**
     * A twin's latest version as the history projection wrote it, its time, and the twin after it ({@code null}
     * after a deletion).
     */
    record Head(long version, Instant time, TwinState state) {
    }

    private final JdbcTemplate jdbc;
    private final ObjectMapper mapper;

    HistoryStore(JdbcTemplate jdbc, ObjectMapper mapper) {
        this.jdbc = jdbc;
        this.mapper = mapper;
    }

    /**
     * The heads of these twins: the head table points at each twin's latest row, whose state is read from the
     * history table (one partition: the time is known) or, past retention, from the baseline. A twin whose row
     * cannot be found is left out (its state is then folded from the events).
     */
    Map<String, Head> heads(Collection<String> twinIds) {
        Map<String, Head> heads = new HashMap<>();
        jdbc.query(connection -> {
            PreparedStatement select = PlannedPerCall.prepare(connection, """
                    SELECT p.twin_id, p.version, p.time, s.state::text FROM twin_history_head p
                    JOIN LATERAL (
                        (SELECT h.state FROM twin_history h
                         WHERE h.twin_id = p.twin_id AND h.version = p.version AND h.time = p.time)
                        UNION ALL
                        (SELECT b.state FROM twin_history_baseline b WHERE b.twin_id = p.twin_id AND b.version = p.version)
                        LIMIT 1) s ON TRUE
                    WHERE p.twin_id = ANY (?)""");
            select.setArray(1, connection.createArrayOf("varchar", twinIds.toArray()));
            return select;
        }, rs -> {
            String state = rs.getString(4);
            heads.put(rs.getString(1), new Head(rs.getLong(2), rs.getTimestamp(3).toInstant(),
                    state == null ? null : TwinState.fromDocument(parse(state))));
        });
        return heads;
    }

    void saveHeads(Map<String, Head> heads) {
        List<Object[]> args = heads.entrySet().stream().map(e -> new Object[]{e.getKey(), e.getValue().version(),
                Timestamp.from(e.getValue().time())}).toList();
        jdbc.batchUpdate("""
                INSERT INTO twin_history_head (twin_id, version, time) VALUES (?, ?, ?)
                ON CONFLICT (twin_id) DO UPDATE SET version = EXCLUDED.version, time = EXCLUDED.time""", args);
    }

    static final String COLUMNS = "time, twin_id, device_id, module_id, version, desired_version, reported_version,"
            + " event_type, event_id, global_index, principal, channel, transport, correlation_id, causation_id, reason,"
            + " paths, change, state";
    /** The SET list of an upsert that takes every column but the twin id from the new row. */
    static final String UPSERT = Arrays.stream(COLUMNS.split(",\\s*")).filter(c -> !c.equals("twin_id"))
            .map(c -> c + " = EXCLUDED." + c).collect(Collectors.joining(", "));
    private static final String VALUES = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb)";

    void insert(List<HistoryRow> rows) {
        jdbc.batchUpdate("INSERT INTO twin_history (" + COLUMNS + ") VALUES " + VALUES + " ON CONFLICT DO NOTHING",
                rows, rows.size(), HistoryStore::bind);
    }

    /** Moves each twin's baseline row forward to the given row, unless it already holds a later version. */
    void saveBaseline(Collection<HistoryRow> rows) {
        jdbc.batchUpdate("INSERT INTO twin_history_baseline (" + COLUMNS + ") VALUES " + VALUES
                        + " ON CONFLICT (twin_id) DO UPDATE SET " + UPSERT
                        + " WHERE twin_history_baseline.version < EXCLUDED.version",
                List.copyOf(rows), rows.size(), HistoryStore::bind);
    }

    private static void bind(PreparedStatement statement, HistoryRow row) throws SQLException {
        statement.setTimestamp(1, Timestamp.from(row.time()));
        statement.setString(2, row.twinId());
        statement.setString(3, row.deviceId());
        statement.setString(4, row.moduleId());
        statement.setLong(5, row.version());
        statement.setObject(6, row.desiredVersion());
        statement.setObject(7, row.reportedVersion());
        statement.setString(8, row.eventType());
        statement.setString(9, row.eventId());
        statement.setLong(10, row.globalIndex());
        statement.setString(11, row.principal());
        statement.setString(12, row.channel());
        statement.setString(13, row.transport());
        statement.setString(14, row.correlationId());
        statement.setString(15, row.causationId());
        statement.setString(16, row.reason());
        statement.setArray(17, statement.getConnection().createArrayOf("text", row.paths().toArray()));
        statement.setString(18, row.change());
        statement.setString(19, row.state());
    }

    /** The global index of each stored event, by event identifier. */
    Map<String, Long> globalIndexes(Collection<String> eventIds) {
        Map<String, Long> indexes = new HashMap<>();
        jdbc.query(connection -> {
            PreparedStatement select = PlannedPerCall.prepare(connection,
                    "SELECT event_identifier, global_index FROM domain_event_entry WHERE event_identifier = ANY (?)");
            select.setArray(1, connection.createArrayOf("varchar", eventIds.toArray()));
            return select;
        }, rs -> {
            indexes.put(rs.getString(1), rs.getLong(2));
        });
        return indexes;
    }

    /**
     * This transaction commits without waiting for its WAL to reach the disk: a projection's rows and its token
     * commit together, so a crash can only lose the last few batches whole, and the processor projects them again.
     */
    void commitWithoutWaitingForTheDisk() {
        jdbc.execute("SET LOCAL synchronous_commit = off");
    }

    void deleteAll() {
        jdbc.execute("TRUNCATE twin_history, twin_history_head, twin_history_baseline");
    }

    ObjectNode parse(String json) {
        try {
            return (ObjectNode) mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the history holds invalid JSON", e);
        }
    }
}
