package io.twinplatform.history;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;

/**
 * The history table's retention ({@code twin.history.retention}, 90 days by default): at start-up and every hour,
 * each twin's latest row older than the horizon is carried forward into {@code twin_history_baseline}, then the
 * table drops what is past the horizon and prepares what lies ahead. Between them the table and the baseline answer
 * every point-in-time read within the retention; older ones are rebuilt from the event store. One instance at a time
 * runs it, holding the advisory lock {@value #LOCK}.
 */
@Component
public class HistoryRetention extends TimeSeriesRetention {

    /** The advisory lock a run holds: {@code SELECT pg_try_advisory_lock(hashtext('twin.history.retention'))}. */
    public static final String LOCK = "twin.history.retention";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;

    HistoryRetention(JdbcTemplate jdbc, HistorySettings settings, @Qualifier("historyTable") TimeSeriesTable table,
                     TransactionTemplate transaction, TaskScheduler scheduler) {
        super("history", LOCK, table, settings.retention(), jdbc, scheduler, Clock.systemUTC());
        this.jdbc = jdbc;
        this.transaction = transaction;
    }

    /** Whether a row at {@code time} belongs in the table (not past retention); older ones go to the baseline. */
    boolean keeps(Instant time) {
        return !time.isBefore(horizon());
    }

    @Override
    protected void beforeDrop(Instant horizon) {
        carryForward(horizon);
    }

    /**
     * Upserts into the baseline each twin's latest row between the last carry and {@code horizon}, in one
     * transaction with moving the mark (a baseline row is only ever replaced by a later version).
     */
    private void carryForward(Instant horizon) {
        Timestamp until = Timestamp.from(horizon);
        transaction.executeWithoutResult(status -> {
            Timestamp from = jdbc.queryForObject(
                    "SELECT carried_until FROM twin_history_retention FOR UPDATE", Timestamp.class);
            if (from != null && !from.before(until)) {
                return;
            }
            jdbc.update("""
                    INSERT INTO twin_history_baseline (%s)
                    SELECT DISTINCT ON (twin_id) %s FROM twin_history WHERE time >= ? AND time < ?
                    ORDER BY twin_id, version DESC
                    ON CONFLICT (twin_id) DO UPDATE SET %s WHERE twin_history_baseline.version < EXCLUDED.version"""
                    .formatted(HistoryStore.COLUMNS, HistoryStore.COLUMNS, HistoryStore.UPSERT), from, until);
            jdbc.update("UPDATE twin_history_retention SET carried_until = ?", until);
        });
    }
}
