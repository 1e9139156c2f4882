package io.twinplatform.deploy.provisioning;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.TwinJson;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Component;

import java.sql.Array;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The enrollment groups, in {@code enrollment}. */
@Component
public class EnrollmentStore {

    private static final ObjectMapper JSON = TwinJson.newMapper();
    private static final String COLUMNS = "enrollment_id, device_ids, id_pattern, tags::text, desired::text, enabled,"
            + " version, created_at, updated_at, updated_by";

    private final JdbcTemplate jdbc;
    private final Clock clock = Clock.systemUTC();

    EnrollmentStore(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    Optional<Enrollment> find(String id) {
        return jdbc.query("SELECT " + COLUMNS + " FROM enrollment WHERE enrollment_id = ?", ROW, id).stream()
                .findFirst();
    }

    List<Enrollment> all() {
        return jdbc.query("SELECT " + COLUMNS + " FROM enrollment ORDER BY enrollment_id", ROW);
    }

    /**
     * The group a device with no twin belongs to, if any: one that lists its id before one whose pattern takes it, a
     * longer pattern before a shorter one, then by id. Disabled groups count: a device they take is refused.
     */
    public Optional<Enrollment> match(String deviceId) {
        return jdbc.query("SELECT " + COLUMNS + " FROM enrollment WHERE ? = ANY (device_ids)"
                        + " OR (id_like IS NOT NULL AND ? LIKE id_like)"
                        + " ORDER BY device_ids IS NULL, length(id_pattern) DESC, enrollment_id LIMIT 1",
                ROW, deviceId, deviceId).stream().findFirst();
    }

    /**
     * Creates or replaces a group; {@code expectedVersion} (If-Match), when given, must be its version. Returns the
     * group as stored, or empty when {@code expectedVersion} did not match (no such group, or another version).
     */
    Optional<Enrollment> put(String id, List<String> deviceIds, String pattern, ObjectNode tags, ObjectNode desired,
                             boolean enabled, Long expectedVersion, String by) {
        Timestamp now = Timestamp.from(clock.instant());
        String[] ids = deviceIds == null ? null : deviceIds.toArray(String[]::new);
        List<Enrollment> stored = jdbc.query("""
                        INSERT INTO enrollment AS e (enrollment_id, device_ids, id_pattern, id_like, tags, desired, enabled,
                            version, created_at, updated_at, updated_by)
                        SELECT ?, ?::text[], ?, ?, ?::jsonb, ?::jsonb, ?, 1, ?, ?, ?
                        WHERE ?::bigint IS NULL OR EXISTS (SELECT 1 FROM enrollment WHERE enrollment_id = ? AND version = ?)
                        ON CONFLICT (enrollment_id) DO UPDATE SET device_ids = EXCLUDED.device_ids,
                            id_pattern = EXCLUDED.id_pattern, id_like = EXCLUDED.id_like, tags = EXCLUDED.tags,
                            desired = EXCLUDED.desired, enabled = EXCLUDED.enabled, version = e.version + 1,
                            updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
                        WHERE ?::bigint IS NULL OR e.version = ?
                        RETURNING""" + " " + COLUMNS.replace("enrollment_id,", "e.enrollment_id,"), ROW,
                id, ids, pattern, pattern == null ? null : like(pattern), tags.toString(),
                desired.toString(), enabled, now, now, by, expectedVersion, id, expectedVersion, expectedVersion,
                expectedVersion);
        return stored.stream().findFirst();
    }

    boolean delete(String id) {
        return jdbc.update("DELETE FROM enrollment WHERE enrollment_id = ?", id) > 0;
    }

    /** A pattern as LIKE: {@code *} is {@code %}, LIKE's own characters taken literally. */
    static String like(String pattern) {
        StringBuilder like = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            switch (c) {
                case '*' -> like.append('%');
                case '%', '_', '\\' -> like.append('\\').append(c);
                default -> like.append(c);
            }
        }
        return like.toString();
    }

    private static final RowMapper<Enrollment> ROW = (rs, n) -> {
        Array ids = rs.getArray(2);
        return new Enrollment(rs.getString(1), ids == null ? null : Arrays.asList((String[]) ids.getArray()),
                rs.getString(3), object(rs.getString(4)), object(rs.getString(5)), rs.getBoolean(6), rs.getLong(7),
                instant(rs.getTimestamp(8)), instant(rs.getTimestamp(9)), rs.getString(10));
    };

    private static ObjectNode object(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("an enrollment's stored JSON does not read back", e);
        }
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp.toInstant();
    }
}
