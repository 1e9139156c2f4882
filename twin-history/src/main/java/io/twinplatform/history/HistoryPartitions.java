package io.twinplatform.history;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The day partitions of {@code twin_history} (native PostgreSQL partitioning, UTC days): created for today and
 * {@code twin.history.partitions-ahead} days ahead at start-up and every hour, created on demand for an older day
 * the projection writes (a replay), and dropped once the whole day is older than {@code twin.history.retention}.
 */
@Component
public class HistoryPartitions implements SmartInitializingSingleton, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(HistoryPartitions.class);
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("'twin_history_p'yyyyMMdd");

    private final JdbcTemplate jdbc;
    private final HistorySettings settings;
    private final Clock clock;
    private final Set<LocalDate> known = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "twin-history-partitions");
        thread.setDaemon(true);
        return thread;
    });

    HistoryPartitions(JdbcTemplate jdbc, HistorySettings settings) {
        this.jdbc = jdbc;
        this.settings = settings;
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

    /** Whether a row at {@code time} belongs in the table (not past retention). */
    boolean keeps(Instant time) {
        return !time.isBefore(horizon());
    }

    /** Makes sure the partition for {@code time}'s day exists. */
    void ensure(Instant time) {
        LocalDate day = time.atZone(ZoneOffset.UTC).toLocalDate();
        if (known.contains(day)) {
            return;
        }
        jdbc.execute("CREATE TABLE IF NOT EXISTS " + NAME.format(day) + " PARTITION OF twin_history FOR VALUES FROM ('"
                + day + " 00:00:00+00') TO ('" + day.plusDays(1) + " 00:00:00+00')");
        known.add(day);
    }

    /** Creates the partitions ahead and drops those past retention; returns the names dropped. */
    public List<String> maintain() {
        LocalDate today = clock.instant().atZone(ZoneOffset.UTC).toLocalDate();
        for (int i = 0; i <= settings.partitionsAhead(); i++) {
            ensure(today.plusDays(i).atStartOfDay(ZoneOffset.UTC).toInstant());
        }
        LocalDate oldestKept = horizon().atZone(ZoneOffset.UTC).toLocalDate();
        List<String> partitions = jdbc.queryForList("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'twin_history'""", String.class);
        List<String> dropped = partitions.stream()
                .filter(name -> LocalDate.parse(name.substring("twin_history_p".length()),
                        DateTimeFormatter.BASIC_ISO_DATE).isBefore(oldestKept))
                .sorted().toList();
        for (String name : dropped) {
            jdbc.execute("DROP TABLE IF EXISTS " + name);
            known.remove(LocalDate.parse(name.substring("twin_history_p".length()), DateTimeFormatter.BASIC_ISO_DATE));
            log.info("history partition {} dropped: past the retention of {}", name, settings.retention());
        }
        return dropped;
    }

    private void maintainQuietly() {
        try {
            maintain();
        } catch (RuntimeException e) {
            log.warn("history partition maintenance failed; retrying in an hour", e);
        }
    }
}
