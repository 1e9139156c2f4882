package io.twinplatform.history;

import io.twinplatform.api.history.FindHistoryHorizon;
import io.twinplatform.api.history.FindPastTwin;
import io.twinplatform.api.history.HistoryHorizon;
import io.twinplatform.api.history.PastTwin;
import io.twinplatform.api.model.TwinState;
import org.axonframework.queryhandling.QueryHandler;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;

/**
 * Answers {@link FindPastTwin}: from the history table (one index lookup) when the instant or version is within
 * its retention, otherwise rebuilt from the event store (slower, the same answer).
 */
@Component
class PastTwins {

    private final JdbcTemplate jdbc;
    private final HistoryStore store;
    private final HistoryRetention retention;
    private final EventFold fold;

    PastTwins(JdbcTemplate jdbc, HistoryStore store, HistoryRetention retention, EventFold fold) {
        this.jdbc = jdbc;
        this.store = store;
        this.retention = retention;
        this.fold = fold;
    }

    private record Found(long version, String state) {
    }

    private static final RowMapper<Found> FOUND = (rs, n) -> new Found(rs.getLong(1), rs.getString(2));

    /** The fleet-wide reads' horizon, and the function (migration V9) that returns the fleet at an instant. */
    @QueryHandler
    HistoryHorizon horizon(FindHistoryHorizon query) {
        return new HistoryHorizon(retention.horizon(), "twin_fleet_as_of");
    }

    @QueryHandler
    PastTwin find(FindPastTwin query) {
        List<Found> found;
        if (query.asOf() != null) {
            if (query.asOf().isBefore(retention.horizon())) {
                return rebuilt(query.twinId(), null, query.asOf());
            }
            // The latest row at or before the instant. Retention drops the oldest rows first, so a row found in the
            // table is never older than the twin's baseline row; only without one is the baseline asked.
            Timestamp asOf = Timestamp.from(query.asOf());
            found = jdbc.query("""
                            SELECT version, state::text FROM twin_history WHERE twin_id = ? AND time <= ?
                            ORDER BY version DESC LIMIT 1""", FOUND, query.twinId(), asOf);
            if (found.isEmpty()) {
                found = jdbc.query("SELECT version, state::text FROM twin_history_baseline WHERE twin_id = ?"
                        + " AND time <= ?", FOUND, query.twinId(), asOf);
            }
            if (found.isEmpty()) {
                // Not yet in the history (it follows the event store a little behind): ask the events.
                return createdBy(query.twinId(), query.asOf()) ? rebuilt(query.twinId(), null, query.asOf()) : null;
            }
        } else {
            found = jdbc.query("SELECT version, state::text FROM twin_history WHERE twin_id = ? AND version = ?",
                    FOUND, query.twinId(), query.atVersion());
            if (found.isEmpty()) {
                found = jdbc.query("SELECT version, state::text FROM twin_history_baseline WHERE twin_id = ?"
                        + " AND version = ?", FOUND, query.twinId(), query.atVersion());
            }
            if (found.isEmpty()) {
                return rebuilt(query.twinId(), query.atVersion(), null);
            }
        }
        Found row = found.get(0);
        return row.state() == null ? null : new PastTwin(store.parse(row.state()), row.version(), false);
    }

    /** Whether the twin's first event is stored with a time at or before {@code asOf}. */
    private boolean createdBy(String twinId, Instant asOf) {
        List<String> first = jdbc.queryForList("""
                SELECT time_stamp FROM domain_event_entry WHERE aggregate_identifier = ? AND sequence_number = 0""",
                String.class, twinId);
        return !first.isEmpty() && !Instant.parse(first.get(0)).isAfter(asOf);
    }

    private PastTwin rebuilt(String twinId, Long version, Instant asOf) {
        TwinState state = fold.fold(twinId, version, asOf);
        if (state == null || state.deleted() || version != null && state.version() != version) {
            return null;
        }
        return new PastTwin(state.render(), state.version(), true);
    }
}
