package io.twinplatform.history;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The history table's retention ({@code twin.history.retention}, 90 days by default): at start-up and every hour,
 * each twin's latest row older than the horizon is carried forward into {@code twin_history_baseline}, then the
 * dialect drops what is past the horizon and prepares what lies ahead. Between them the table and the baseline answer
 * every point-in-time read within the retention; older ones are rebuilt from the event store.
 */
@Component
public class HistoryRetention implements SmartInitializingSingleton, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(HistoryRetention.class);

    private final JdbcTemplate jdbc;
    private final HistorySettings settings;
    private final HistoryDialect dialect;
    private final TransactionTemplate transaction;
    private final Clock clock;
    private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "twin-history-retention");
        thread.setDaemon(true);
        return thread;
    });

    HistoryRetention(JdbcTemplate jdbc, HistorySettings settings, HistoryDialect dialect,
                     TransactionTemplate transaction) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.settings = settings;
        this.dialect = dialect;
        this.clock = Clock.systemUTC();
    }

    @Override
    public void afterSingletonsInstantiated() {
        maintain();
        maintenance.scheduleAtFixedRate(this::maintainQuietly, 1, 1, TimeUnit.HOURS);
    }

    @Override
    public void destroy() {
        maintenance.shutdownNow();
    }

    /** The oldest instant the history table keeps; older point-in-time reads are rebuilt from the events. */
    public Instant horizon() {
        return clock.instant().minus(settings.retention());
    }

    /** Whether a row at {@code time} belongs in the table (not past retention); older ones go to the baseline. */
    boolean keeps(Instant time) {
        return !time.isBefore(horizon());
    }

    /** Makes sure a row at {@code time} can be written. */
    void ensure(Instant time) {
        dialect.ensure(time);
    }

    /** Carries rows past the horizon forward, drops them and prepares what lies ahead; returns what was dropped. */
    public synchronized List<String> maintain() {
        Instant horizon = horizon();
        carryForward(horizon);
        List<String> dropped = dialect.dropOlderThan(horizon);
        dropped.forEach(name -> log.info("history {} dropped: past the retention of {}", name, settings.retention()));
        dialect.prepare();
        return dropped;
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

    private void maintainQuietly() {
        try {
            maintain();
        } catch (RuntimeException e) {
            log.warn("history retention failed; retrying in an hour", e);
        }
    }
}
