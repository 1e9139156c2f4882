package io.twinplatform.history;

import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Native PostgreSQL: {@code twin_history} is range-partitioned by time (migration V7) into weeks (UTC, Monday to
 * Monday), named after their first day. Partitions exist from the retention's horizon to
 * {@code twin.history.partitions-ahead} days ahead, so the projection and a replay find theirs in place; one is
 * dropped once its whole range is older than the retention. Weeks, not days: a twin's point-in-time read probes one
 * index per partition it may be in, and plans over them all. A BRIN index on time serves fleet-wide time ranges;
 * activity buckets are {@code date_bin} over the rows.
 */
class NativeHistoryDialect implements HistoryDialect {

    static final String PREFIX = "twin_history_p";
    static final int DAYS = 7;
    /** 1970-01-05, a Monday: weeks start on the days a multiple of seven days from it. */
    private static final long MONDAY = 4;
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
        Instant now = clock.instant();
        LocalDate first = weekOf(now.minus(settings.retention()));
        LocalDate last = weekOf(now.plus(Duration.ofDays(settings.partitionsAhead())));
        for (LocalDate week = first; !week.isAfter(last); week = week.plusDays(DAYS)) {
            ensure(week.atStartOfDay(ZoneOffset.UTC).toInstant());
        }
    }

    /** The first day of the week {@code time} falls in. */
    static LocalDate weekOf(Instant time) {
        long day = time.atZone(ZoneOffset.UTC).toLocalDate().toEpochDay();
        return LocalDate.ofEpochDay(day - Math.floorMod(day - MONDAY, DAYS));
    }

    @Override
    public void ensure(Instant time) {
        LocalDate week = weekOf(time);
        if (known.contains(week)) {
            return;
        }
        // One thread at a time: two segments of the projection may reach a new week together.
        synchronized (this) {
            if (!known.contains(week)) {
                jdbc.execute("CREATE TABLE IF NOT EXISTS " + NAME.format(week) + " PARTITION OF twin_history"
                        + " FOR VALUES FROM ('" + week + " 00:00:00+00') TO ('" + week.plusDays(DAYS) + " 00:00:00+00')");
                known.add(week);
            }
        }
    }

    @Override
    public List<String> dropOlderThan(Instant horizon) {
        // The bounds come from the catalog, so a partition of any width is dropped only once all of it is past.
        List<Map<String, Object>> partitions = jdbc.queryForList("""
                SELECT c.relname AS name,
                       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz AS end
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'twin_history' ORDER BY 1""");
        List<String> dropped = new ArrayList<>();
        for (Map<String, Object> partition : partitions) {
            if (!(partition.get("end") instanceof Timestamp end)) {
                continue;
            }
            if (!end.toInstant().isAfter(horizon)) {
                String name = (String) partition.get("name");
                jdbc.execute("DROP TABLE IF EXISTS " + name);
                known.remove(LocalDate.parse(name.substring(PREFIX.length()), DateTimeFormatter.BASIC_ISO_DATE));
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
