package io.twinplatform.history;

import io.twinplatform.api.history.FindPastTwin;
import io.twinplatform.api.history.PastTwin;
import io.twinplatform.api.model.TwinState;
import org.axonframework.queryhandling.QueryHandler;
import org.springframework.jdbc.core.JdbcTemplate;
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
    private final HistoryPartitions partitions;
    private final EventFold fold;

    PastTwins(JdbcTemplate jdbc, HistoryStore store, HistoryPartitions partitions, EventFold fold) {
        this.jdbc = jdbc;
        this.store = store;
        this.partitions = partitions;
        this.fold = fold;
    }

    private record Found(long version, String state) {
    }

    @QueryHandler
    PastTwin find(FindPastTwin query) {
        Instant horizon = partitions.horizon();
        List<Found> found;
        if (query.asOf() != null) {
            if (query.asOf().isBefore(horizon)) {
                return rebuilt(query.twinId(), null, query.asOf());
            }
            found = jdbc.query("""
                            SELECT version, state::text FROM twin_history WHERE twin_id = ? AND time <= ?
                            ORDER BY time DESC, version DESC LIMIT 1""",
                    (rs, n) -> new Found(rs.getLong(1), rs.getString(2)), query.twinId(), Timestamp.from(query.asOf()));
            if (found.isEmpty()) {
                // Nothing in the table up to then: the twin did not exist, or its rows are past retention.
                return older(query.twinId()) ? rebuilt(query.twinId(), null, query.asOf()) : null;
            }
        } else {
            found = jdbc.query("SELECT version, state::text FROM twin_history WHERE twin_id = ? AND version = ?",
                    (rs, n) -> new Found(rs.getLong(1), rs.getString(2)), query.twinId(), query.atVersion());
            if (found.isEmpty()) {
                return rebuilt(query.twinId(), query.atVersion(), null);
            }
        }
        Found row = found.get(0);
        return row.state() == null ? null : new PastTwin(store.parse(row.state()), row.version(), false);
    }

    /** Whether the twin has events older than the history table's oldest row for it (or none in it at all). */
    private boolean older(String twinId) {
        Boolean inTable = jdbc.queryForObject(
                "SELECT EXISTS (SELECT 1 FROM twin_history WHERE twin_id = ? AND version = 1)", Boolean.class, twinId);
        return !Boolean.TRUE.equals(inTable);
    }

    private PastTwin rebuilt(String twinId, Long version, Instant asOf) {
        TwinState state = fold.fold(twinId, version, asOf);
        if (state == null || state.deleted() || version != null && state.version() != version) {
            return null;
        }
        return new PastTwin(state.render(), state.version(), true);
    }
}
