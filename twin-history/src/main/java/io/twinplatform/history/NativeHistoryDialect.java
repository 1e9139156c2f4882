package io.twinplatform.history;

import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Native PostgreSQL: {@code twin_history} is range-partitioned by UTC day (migration V7). Partitions exist for today
 * and {@code twin.history.partitions-ahead} days ahead, are created on demand for an older day a replay writes, and
 * are dropped once the whole day is older than the retention. A BRIN index on time serves fleet-wide time ranges;
 * activity buckets are {@code date_bin} over the rows.
 */
class NativeHistoryDialect implements HistoryDialect {

    static final String PREFIX = "twin_history_p";
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("'" + PREFIX + "'yyyyMMdd");

    private final JdbcTemplate jdbc;
    private final HistorySettings settings;
    private final Clock clock;
    private final Set<LocalDate> known = ConcurrentHashMap.newKeySet();

    NativeHistoryDialect(JdbcTemplate jdbc, HistorySettings settings, Clock clock) {
        this.jdbc = jdbc;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public void prepare() {
        LocalDate today = clock.instant().atZone(ZoneOffset.UTC).toLocalDate();
        for (int i = 0; i <= settings.partitionsAhead(); i++) {
            ensure(today.plusDays(i).atStartOfDay(ZoneOffset.UTC).toInstant());
        }
    }

    @Override
    public void ensure(Instant time) {
        LocalDate day = time.atZone(ZoneOffset.UTC).toLocalDate();
        if (known.contains(day)) {
            return;
        }
        jdbc.execute("CREATE TABLE IF NOT EXISTS " + NAME.format(day) + " PARTITION OF twin_history FOR VALUES FROM ('"
                + day + " 00:00:00+00') TO ('" + day.plusDays(1) + " 00:00:00+00')");
        known.add(day);
    }

    @Override
    public List<String> dropOlderThan(Instant horizon) {
        LocalDate oldestKept = horizon.atZone(ZoneOffset.UTC).toLocalDate();
        List<String> partitions = jdbc.queryForList("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'twin_history'""", String.class);
        List<String> dropped = new ArrayList<>();
        for (String name : partitions.stream().sorted().toList()) {
            LocalDate day = LocalDate.parse(name.substring(PREFIX.length()), DateTimeFormatter.BASIC_ISO_DATE);
            if (day.isBefore(oldestKept)) {
                jdbc.execute("DROP TABLE IF EXISTS " + name);
                known.remove(day);
                dropped.add(name);
            }
        }
        return dropped;
    }

    @Override
    public String activitySql(Duration bucket) {
        return "SELECT date_bin(make_interval(secs => " + bucket.toSeconds() + "), time, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
                + " AS bucket, event_type, coalesce(channel, ''), count(*) FROM twin_history"
                + " WHERE time >= ? AND time < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
    }
}
