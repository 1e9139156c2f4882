package io.twinplatform.query.twin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.TwinState;
import org.postgresql.PGStatement;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

import io.twinplatform.api.model.Timestamps;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The {@code twin_document} table: one row per twin, the rendered document in JSONB. */
@Repository
class TwinDocumentStore {

    /** A row: the twin's state at {@code version}, or a tombstone. */
    record Row(String twinId, long version, boolean deleted, ObjectNode document) {
    }

    private final JdbcTemplate jdbc;
    private final ObjectMapper mapper;

    TwinDocumentStore(JdbcTemplate jdbc, ObjectMapper mapper) {
        this.jdbc = jdbc;
        this.mapper = mapper;
    }

    Optional<Row> find(String twinId) {
        List<Row> rows = jdbc.query("SELECT twin_id, version, deleted, document::text FROM twin_document WHERE twin_id = ?",
                (rs, n) -> new Row(rs.getString(1), rs.getLong(2), rs.getBoolean(3), parse(rs.getString(4))), twinId);
        return rows.stream().findFirst();
    }

    /** The version the read side shows for a twin, -1 if none. */
    long version(String twinId) {
        List<Long> versions = jdbc.queryForList("SELECT version FROM twin_document WHERE twin_id = ?", Long.class, twinId);
        return versions.isEmpty() ? -1 : versions.get(0);
    }

    /**
     * The rows of these twins, keyed by twin id, in one round trip. For the twins in {@code withoutDocument} (the
     * caller holds them already) the row's document is left out ({@code null}): only version and deleted flag.
     */
    Map<String, Row> findAll(Collection<String> twinIds, Collection<String> withoutDocument) {
        Map<String, Row> rows = new HashMap<>();
        jdbc.query(connection -> {
            PreparedStatement select = connection.prepareStatement("""
                    SELECT twin_id, version, deleted,
                           CASE WHEN twin_id = ANY (?) THEN NULL ELSE document::text END
                    FROM twin_document WHERE twin_id = ANY (?)""");
            // Planned per call, with the table's size then: a generic plan cached while the table was small keeps a
            // sequential scan (see PlannedPerCall in twin-history).
            if (select.isWrapperFor(PGStatement.class)) {
                select.unwrap(PGStatement.class).setPrepareThreshold(0);
            }
            select.setArray(1, connection.createArrayOf("varchar", withoutDocument.toArray()));
            select.setArray(2, connection.createArrayOf("varchar", twinIds.toArray()));
            return select;
        }, rs -> {
            String document = rs.getString(4);
            rows.put(rs.getString(1), new Row(rs.getString(1), rs.getLong(2), rs.getBoolean(3),
                    document == null ? null : parse(document)));
        });
        return rows;
    }

    /** Writes each twin's state and rendered document (a deleted state as a tombstone) in one JDBC batch. */
    void saveAll(List<TwinState> states, List<ObjectNode> documents, List<Instant> times) {
        List<Object[]> args = new ArrayList<>(states.size());
        // In twin id order, so that concurrent writers of overlapping rows (device activity) lock them in one order.
        Integer[] order = new Integer[states.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, java.util.Comparator.comparing(i -> states.get(i).twinId()));
        for (int i : order) {
            TwinState state = states.get(i);
            args.add(new Object[]{state.twinId(), state.deviceId(), state.moduleId(), state.version(), state.deleted(),
                    documents.get(i).toString(), Timestamp.from(times.get(i))});
        }
        // fields: the document without its $metadata trees, what fleet queries scan (see DocumentColumns).
        jdbc.batchUpdate("""
                INSERT INTO twin_document (twin_id, device_id, module_id, version, deleted, document, fields, updated_at)
                SELECT t, d, m, v, x, doc, doc #- '{properties,desired,$metadata}' #- '{properties,reported,$metadata}', u
                FROM (SELECT ?::varchar AS t, ?::varchar AS d, ?::varchar AS m, ?::bigint AS v, ?::boolean AS x,
                             ?::jsonb AS doc, ?::timestamptz AS u) r
                ON CONFLICT (twin_id) DO UPDATE SET version = EXCLUDED.version, deleted = EXCLUDED.deleted,
                    document = CASE WHEN %1$s
                        THEN jsonb_set(EXCLUDED.document, '{lastActivityTime}', twin_document.fields -> 'lastActivityTime')
                        ELSE EXCLUDED.document END,
                    fields = CASE WHEN %1$s
                        THEN jsonb_set(EXCLUDED.fields, '{lastActivityTime}', twin_document.fields -> 'lastActivityTime')
                        ELSE EXCLUDED.fields END,
                    updated_at = EXCLUDED.updated_at""".formatted(ACTIVITY_NEWER), args);
    }

    /**
     * Whether the stored row shows later device activity than the one being written: activity is recorded on the row
     * alone ({@link #recordActivity}), so a write of a state folded from events keeps the later time. A twin deleted
     * and created again starts without activity. The time is read from {@code fields}, kept in the row, not from
     * {@code document}, which is stored out of line once large.
     */
    private static final String ACTIVITY_NEWER = "NOT twin_document.deleted AND NOT EXCLUDED.deleted"
            + " AND (twin_document.fields ->> 'lastActivityTime')::timestamptz"
            + " > COALESCE((EXCLUDED.document ->> 'lastActivityTime')::timestamptz, '-infinity')";

    /** Raises each live twin's {@code lastActivityTime} to the given time where it shows an earlier one. */
    void recordActivity(Map<String, Instant> lastSeen) {
        List<Object[]> args = new ArrayList<>(lastSeen.size());
        // In twin id order, as the projection writes rows: the two never wait on each other's locks in a cycle.
        new java.util.TreeMap<>(lastSeen).forEach((twinId, at) -> {
            String text = Timestamps.format(at);
            args.add(new Object[]{text, text, twinId, text});
        });
        jdbc.batchUpdate("""
                UPDATE twin_document SET document = jsonb_set(document, '{lastActivityTime}', to_jsonb(?::text)),
                    fields = jsonb_set(fields, '{lastActivityTime}', to_jsonb(?::text))
                WHERE twin_id = ? AND NOT deleted
                  AND COALESCE((fields ->> 'lastActivityTime')::timestamptz, '-infinity') < ?::timestamptz""", args);
    }

    void deleteAll() {
        jdbc.update("DELETE FROM twin_document");
    }

    private ObjectNode parse(String json) {
        try {
            return (ObjectNode) mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("twin_document holds invalid JSON", e);
        }
    }
}
