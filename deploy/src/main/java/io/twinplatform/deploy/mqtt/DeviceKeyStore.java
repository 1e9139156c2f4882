package io.twinplatform.deploy.mqtt;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;

/**
 * Which generation of its key each device must present ({@code device_key}): no row is generation 0, the key derived
 * from the fleet secret. Rotating moves a device to its next generation (and lifts a revocation); revoking refuses
 * every key of the device until it is rotated again.
 */
@Component
class DeviceKeyStore {

    /** A device's key: the generation its password is derived for, and whether it is revoked. */
    record State(int generation, boolean revoked) {
        static final State DERIVED = new State(0, false);
    }

    private final JdbcTemplate jdbc;
    private final Clock clock = Clock.systemUTC();

    DeviceKeyStore(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    State state(String twinId) {
        List<State> states = jdbc.query("SELECT generation, revoked_at IS NOT NULL FROM device_key WHERE twin_id = ?",
                (rs, n) -> new State(rs.getInt(1), rs.getBoolean(2)), twinId);
        return states.isEmpty() ? State.DERIVED : states.get(0);
    }

    /** Moves the device to its next generation and lifts a revocation; returns the new generation. */
    int rotate(String twinId, String by) {
        Integer generation = jdbc.queryForObject("""
                INSERT INTO device_key (twin_id, generation, revoked_at, changed_at, changed_by) VALUES (?, 1, NULL, ?, ?)
                ON CONFLICT (twin_id) DO UPDATE SET generation = device_key.generation + 1, revoked_at = NULL,
                    changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by
                RETURNING generation""", Integer.class, twinId, Timestamp.from(clock.instant()), by);
        return generation == null ? 1 : generation;
    }

    /** Refuses every key of the device until it is rotated again. */
    void revoke(String twinId, String by) {
        Timestamp now = Timestamp.from(clock.instant());
        jdbc.update("""
                INSERT INTO device_key (twin_id, generation, revoked_at, changed_at, changed_by) VALUES (?, 0, ?, ?, ?)
                ON CONFLICT (twin_id) DO UPDATE SET revoked_at = COALESCE(device_key.revoked_at, EXCLUDED.revoked_at),
                    changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by""", twinId, now, now, by);
    }
}
