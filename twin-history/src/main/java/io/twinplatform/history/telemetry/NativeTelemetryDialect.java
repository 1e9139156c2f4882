package io.twinplatform.history.telemetry;

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
 * Native PostgreSQL: {@code telemetry} is range-partitioned by {@code ts} (migration V21) into UTC days, named after
 * the day ({@code telemetry_p20261124}). Partitions exist from the retention's horizon to
 * {@code twin.telemetry.partitions-ahead} days ahead, and the writer makes sure of the day of each sample it stores;
 * a partition is dropped once its whole day is older than the retention, which is all the retention costs. Days,
 * not weeks as in the history table: reads are one twin over hours, and a day is the retention's grain.
 */
class NativeTelemetryDialect implements TelemetryDialect {

    static final String PREFIX = "telemetry_p";
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("'" + PREFIX + "'yyyyMMdd");

    private final JdbcTemplate jdbc;
    private final TelemetrySettings settings;
    private final Clock clock;
    private final Set<LocalDate> known = ConcurrentHashMap.newKeySet();

    NativeTelemetryDialect(JdbcTemplate jdbc, TelemetrySettings settings, Clock clock) {
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
        LocalDate first = dayOf(now.minus(settings.retention()));
        LocalDate last = dayOf(now.plus(Duration.ofDays(settings.partitionsAhead())));
        for (LocalDate day = first; !day.isAfter(last); day = day.plusDays(1)) {
            ensure(day.atStartOfDay(ZoneOffset.UTC).toInstant());
        }
    }

    static LocalDate dayOf(Instant time) {
        return time.atZone(ZoneOffset.UTC).toLocalDate();
    }

    @Override
    public void ensure(Instant time) {
        LocalDate day = dayOf(time);
        if (known.contains(day)) {
            return;
        }
        // One thread at a time: the writer and the retention's maintenance may reach a new day together.
        synchronized (this) {
            if (!known.contains(day)) {
                jdbc.execute("CREATE TABLE IF NOT EXISTS " + NAME.format(day) + " PARTITION OF telemetry"
                        + " FOR VALUES FROM ('" + day + " 00:00:00+00') TO ('" + day.plusDays(1) + " 00:00:00+00')");
                known.add(day);
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
                JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry' ORDER BY 1""");
        List<String> dropped = new ArrayList<>();
        for (Map<String, Object> partition : partitions) {
            if (!(partition.get("end") instanceof Timestamp end) || end.toInstant().isAfter(horizon)) {
                continue;
            }
            String name = (String) partition.get("name");
            synchronized (this) {
                jdbc.execute("DROP TABLE IF EXISTS " + name);
                if (name.startsWith(PREFIX)) {
                    known.remove(LocalDate.parse(name.substring(PREFIX.length()), DateTimeFormatter.BASIC_ISO_DATE));
                }
            }
            dropped.add(name);
        }
        return dropped;
    }

    @Override
    public String bucketsSql(Duration bucket, boolean byName) {
        return "SELECT name, date_bin(make_interval(secs => " + bucket.toSeconds() + "), ts,"
                + " TIMESTAMPTZ '2000-01-01 00:00:00+00'), count(*), sum(value) / count(*), min(value), max(value)"
                + " FROM telemetry WHERE twin_id = ? AND ts >= ? AND ts < ?" + (byName ? " AND name = ANY (?)" : "")
                + " GROUP BY 1, 2 ORDER BY 1, 2";
    }
}
