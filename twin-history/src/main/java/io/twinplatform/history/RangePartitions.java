package io.twinplatform.history;

import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
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
 * The native dialect's time partitions of one table (history by week, telemetry by day): partitions named
 * {@code <prefix>yyyyMMdd} after their first day, each {@code days} long, aligned on {@code anchorEpochDay}; made
 * ahead and on demand, and dropped once all of a partition is past the retention horizon.
 */
public final class RangePartitions {

    private final JdbcTemplate jdbc;
    private final String table;
    private final String prefix;
    private final int days;
    private final long anchorEpochDay;
    private final DateTimeFormatter name;
    private final Set<LocalDate> known = ConcurrentHashMap.newKeySet();

    public RangePartitions(JdbcTemplate jdbc, String table, String prefix, int days, long anchorEpochDay) {
        this.jdbc = jdbc;
        this.table = table;
        this.prefix = prefix;
        this.days = days;
        this.anchorEpochDay = anchorEpochDay;
        this.name = DateTimeFormatter.ofPattern("'" + prefix + "'yyyyMMdd");
    }

    /** The first day of the partition {@code time} falls in. */
    public LocalDate periodOf(Instant time) {
        long day = time.atZone(ZoneOffset.UTC).toLocalDate().toEpochDay();
        return LocalDate.ofEpochDay(day - Math.floorMod(day - anchorEpochDay, days));
    }

    /** Makes every partition from the retention horizon to {@code daysAhead} days after {@code now}. */
    public void prepare(Instant now, Duration retention, int daysAhead) {
        LocalDate first = periodOf(now.minus(retention));
        LocalDate last = periodOf(now.plus(Duration.ofDays(daysAhead)));
        for (LocalDate period = first; !period.isAfter(last); period = period.plusDays(days)) {
            ensure(period.atStartOfDay(ZoneOffset.UTC).toInstant());
        }
    }

    /** Makes the partition {@code time} falls in, unless this process made or saw it already. */
    public void ensure(Instant time) {
        LocalDate period = periodOf(time);
        if (known.contains(period)) {
            return;
        }
        // One thread at a time: two writers may reach a new period together.
        synchronized (this) {
            if (!known.contains(period)) {
                jdbc.execute("CREATE TABLE IF NOT EXISTS " + name.format(period) + " PARTITION OF " + table
                        + " FOR VALUES FROM ('" + period + " 00:00:00+00') TO ('" + period.plusDays(days)
                        + " 00:00:00+00')");
                known.add(period);
            }
        }
    }

    /** Drops the partitions whose end is at or before {@code horizon}; returns their names. */
    public List<String> dropOlderThan(Instant horizon) {
        // The bounds come from the catalog, so a partition of any width is dropped only once all of it is past.
        List<Map<String, Object>> partitions = jdbc.queryForList("""
                SELECT c.relname AS name,
                       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz AS end
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ? ORDER BY 1""", table);
        List<String> dropped = new ArrayList<>();
        for (Map<String, Object> partition : partitions) {
            if (!(partition.get("end") instanceof Timestamp end) || end.toInstant().isAfter(horizon)) {
                continue;
            }
            String partitionName = (String) partition.get("name");
            synchronized (this) {
                jdbc.execute("DROP TABLE IF EXISTS " + partitionName);
                if (partitionName.startsWith(prefix)) {
                    known.remove(LocalDate.parse(partitionName.substring(prefix.length()),
                            DateTimeFormatter.BASIC_ISO_DATE));
                }
            }
            dropped.add(partitionName);
        }
        return dropped;
    }
}
