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
 * Native PostgreSQL: the table is range-partitioned by time (its Flyway migration makes it so) into partitions named
 * {@code <table>_pyyyyMMdd} after their first day, each {@link TimeSeriesTable.Partitions#days} long (history: weeks
 * from Monday; telemetry: days). Partitions exist from the retention's horizon to
 * {@link TimeSeriesTable.Partitions#ahead} days ahead after each retention run, and a writer makes sure of the
 * partition of each row it stores, so the projection, a replay and the telemetry writer find theirs in place; a
 * partition is dropped once all of it is older than the retention, which is all the retention costs. Buckets are
 * {@code date_bin} over the rows.
 */
public final class PartitionedTable implements TimeSeriesTable {

    private final JdbcTemplate jdbc;
    private final TimeSeriesTable.Spec spec;
    private final Clock clock;
    private final String table;
    private final String prefix;
    private final int days;
    private final long anchorEpochDay;
    private final DateTimeFormatter name;
    private final Set<LocalDate> known = ConcurrentHashMap.newKeySet();

    PartitionedTable(TimeSeriesTable.Spec spec, JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.spec = spec;
        this.clock = clock;
        this.table = spec.table();
        this.prefix = spec.table() + "_p";
        this.days = spec.partitions().days();
        this.anchorEpochDay = spec.partitions().anchorEpochDay();
        this.name = DateTimeFormatter.ofPattern("'" + prefix + "'yyyyMMdd");
    }

    @Override
    public String dialect() {
        return "native";
    }

    /** The first day of the partition {@code time} falls in. */
    LocalDate periodOf(Instant time) {
        long day = time.atZone(ZoneOffset.UTC).toLocalDate().toEpochDay();
        return LocalDate.ofEpochDay(day - Math.floorMod(day - anchorEpochDay, days));
    }

    /** Makes every partition from the retention's horizon to the days ahead of now. */
    @Override
    public void prepare() {
        Instant now = clock.instant();
        LocalDate first = periodOf(now.minus(spec.retention()));
        LocalDate last = periodOf(now.plus(Duration.ofDays(spec.partitions().ahead())));
        for (LocalDate period = first; !period.isAfter(last); period = period.plusDays(days)) {
            ensure(period.atStartOfDay(ZoneOffset.UTC).toInstant());
        }
    }

    /** Makes the partition {@code time} falls in, unless this process made or saw it already. */
    @Override
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
    @Override
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

    @Override
    public String bucket(Duration width, String column) {
        return "date_bin(make_interval(secs => " + width.toSeconds() + "), " + column
                + ", TIMESTAMPTZ '2000-01-01 00:00:00+00')";
    }
}
