package io.twinplatform.history.telemetry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.twinplatform.api.twin.TwinDeleted;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which twins exist and are not deleted, for the telemetry ingest: asked of the event store, the history side's
 * source, which knows a twin the moment it is created (the history table follows it a little behind, and is empty
 * during a replay). A twin exists when its latest stored event is a twin event other than {@link TwinDeleted}.
 * Positive answers are remembered ({@code twin.telemetry.twin-cache-size} twins for
 * {@code twin.telemetry.twin-cache-ttl}), so a steady fleet costs no query; the rest are asked in one query per
 * batch.
 */
class KnownTwins {

    /** The {@code payload_type} of every twin event, as a LIKE pattern. */
    static final String TWIN_EVENTS = TwinDeleted.class.getPackageName() + ".%";

    private final JdbcTemplate jdbc;
    private final Cache<String, Boolean> known;

    KnownTwins(JdbcTemplate jdbc, int size, Duration ttl) {
        this(jdbc, size, ttl, null);
    }

    /** @param meters where hits and misses are counted ({@code twin-telemetry.known-twins}); null for nowhere */
    KnownTwins(JdbcTemplate jdbc, int size, Duration ttl, MeterRegistry meters) {
        this.jdbc = jdbc;
        this.known = Caffeine.newBuilder().maximumSize(size).expireAfterWrite(ttl).recordStats().build();
        if (meters != null) {
            CaffeineCacheMetrics.monitor(meters, known, "twin-telemetry.known-twins");
        }
    }

    /** Those of {@code twinIds} that exist and are not deleted. */
    Set<String> existing(Collection<String> twinIds) {
        Set<String> existing = new HashSet<>();
        Set<String> ask = new HashSet<>();
        for (String twinId : twinIds) {
            if (known.getIfPresent(twinId) != null) {
                existing.add(twinId);
            } else {
                ask.add(twinId);
            }
        }
        if (!ask.isEmpty()) {
            List<String> found = jdbc.query(connection -> {
                PreparedStatement select = connection.prepareStatement("""
                        SELECT t.id FROM unnest(?::varchar[]) AS t(id)
                        JOIN LATERAL (SELECT e.payload_type FROM domain_event_entry e
                                      WHERE e.aggregate_identifier = t.id
                                      ORDER BY e.sequence_number DESC LIMIT 1) latest
                          ON latest.payload_type LIKE ? AND latest.payload_type <> ?""");
                select.setArray(1, connection.createArrayOf("varchar", ask.toArray()));
                select.setString(2, TWIN_EVENTS);
                select.setString(3, TwinDeleted.class.getName());
                return select;
            }, (rs, n) -> rs.getString(1));
            for (String twinId : found) {
                known.put(twinId, Boolean.TRUE);
                existing.add(twinId);
            }
        }
        return existing;
    }
}
