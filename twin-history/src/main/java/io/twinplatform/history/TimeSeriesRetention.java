package io.twinplatform.history;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.TaskScheduler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The retention of a {@link TimeSeriesTable}: at start-up and every hour on the platform's task scheduler, the table
 * drops what is past the horizon (now minus the retention) and prepares what lies ahead, after whatever the table's
 * owner must do first ({@link #beforeDrop}). One run at a time across all instances on the database: a run takes the
 * PostgreSQL advisory lock named {@link #lockName()}, and an instance that finds it taken skips that run (logged at
 * debug), since the other does the same work. Used twice: {@link HistoryRetention} and {@link io.twinplatform.history.telemetry.TelemetryRetention}.
 */
public abstract class TimeSeriesRetention implements SmartInitializingSingleton, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(TimeSeriesRetention.class);
    /** How often the retention runs after the one at start-up. */
    static final Duration EVERY = Duration.ofHours(1);

    private final String what;
    private final String lockName;
    private final TimeSeriesTable table;
    private final Duration retention;
    private final AdvisoryLock lock;
    private final TaskScheduler scheduler;
    private final Clock clock;
    private volatile ScheduledFuture<?> hourly;

    /**
     * @param what      what the table holds, for the log ({@code history}, {@code telemetry})
     * @param lockName  the advisory lock's name, one per table
     * @param scheduler runs the hourly runs; may be null where nothing calls {@link #afterSingletonsInstantiated}
     * @param clock     where the horizon comes from
     */
    protected TimeSeriesRetention(String what, String lockName, TimeSeriesTable table, Duration retention,
                                  JdbcTemplate jdbc, TaskScheduler scheduler, Clock clock) {
        this.what = what;
        this.lockName = lockName;
        this.table = table;
        this.retention = retention;
        this.lock = new AdvisoryLock(jdbc, lockName);
        this.scheduler = scheduler;
        this.clock = clock;
    }

    @Override
    public void afterSingletonsInstantiated() {
        maintain();
        hourly = scheduler.scheduleAtFixedRate(this::maintainQuietly, scheduler.getClock().instant().plus(EVERY),
                EVERY);
    }

    @Override
    public void destroy() {
        ScheduledFuture<?> runs = hourly;
        if (runs != null) {
            runs.cancel(true);
        }
    }

    /** The name of the advisory lock a run holds ({@code hashtext} of it is the key). */
    public String lockName() {
        return lockName;
    }

    /** The oldest instant the table keeps. */
    public Instant horizon() {
        return clock.instant().minus(retention);
    }

    /** Makes sure a row at {@code time} can be written. */
    protected void ensure(Instant time) {
        table.ensure(time);
    }

    /**
     * Drops what is past the horizon and prepares what lies ahead; returns what was dropped. Returns empty without
     * doing anything while another instance (or another thread) runs this retention.
     */
    public List<String> maintain() {
        AtomicReference<List<String>> dropped = new AtomicReference<>(List.of());
        if (!lock.runAlone(() -> dropped.set(run()))) {
            log.debug("{} retention skipped: another instance holds the lock {}", what, lockName);
        }
        return dropped.get();
    }

    private List<String> run() {
        Instant horizon = horizon();
        beforeDrop(horizon);
        List<String> dropped = table.dropOlderThan(horizon);
        dropped.forEach(name -> log.info("{} {} dropped: past the retention of {}", what, name, retention));
        table.prepare();
        return dropped;
    }

    /** What must happen before rows older than {@code horizon} are dropped; nothing by default. */
    protected void beforeDrop(Instant horizon) {
    }

    private void maintainQuietly() {
        try {
            maintain();
        } catch (RuntimeException e) {
            log.warn("{} retention failed; retrying in an hour", what, e);
        }
    }
}
