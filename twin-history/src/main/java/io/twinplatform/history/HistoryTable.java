package io.twinplatform.history;

import java.time.Duration;
import java.util.List;

/**
 * The history table {@code twin_history} (migration V7) as a {@link TimeSeriesTable}, and its one read that differs
 * by dialect: the fleet's activity.
 * <p>
 * Native partitions are weeks (UTC, Monday to Monday), not days: a twin's point-in-time read probes one index per
 * partition it may be in, and plans over them all; a BRIN index on time (migration V9) serves fleet-wide time ranges.
 * <p>
 * TimescaleDB chunks are days, compressed after {@code twin.history.compress-after} (segmented by twin, newest version
 * first), and the continuous aggregate {@code twin_history_activity} counts changes per hour, event type and channel
 * (it outlives the raw rows). The retention policy drops chunks {@link #DROP_MARGIN} after they pass the retention, so
 * that the hourly carry into {@code twin_history_baseline} ({@link HistoryRetention}) always sees their rows first.
 */
final class HistoryTable {

    static final String NAME = "twin_history";
    /** Native partitions: a week each. */
    static final int DAYS = 7;
    /** 1970-01-05, a Monday: weeks start on the days a multiple of seven days from it. */
    private static final long MONDAY = 4;
    /** How long after the retention Timescale's policy drops a chunk: the carry-forward runs hourly. */
    static final Duration DROP_MARGIN = Duration.ofDays(2);

    private HistoryTable() {
    }

    static TimeSeriesTable.Spec spec(HistorySettings settings) {
        return new TimeSeriesTable.Spec(NAME, "time", settings.retention(),
                new TimeSeriesTable.Partitions(DAYS, MONDAY, settings.partitionsAhead()),
                new TimeSeriesTable.Chunks(1, DROP_MARGIN, settings.compressAfter(), List.of(
                        "ALTER TABLE twin_history ADD PRIMARY KEY (twin_id, version, time)",
                        "CREATE INDEX twin_history_time ON twin_history (time, twin_id, version)",
                        "CREATE INDEX twin_history_principal ON twin_history (principal, time, twin_id, version)",
                        "ALTER TABLE twin_history SET (timescaledb.compress, timescaledb.compress_segmentby ="
                                + " 'twin_id', timescaledb.compress_orderby = 'version DESC, time DESC')",
                        """
                        CREATE MATERIALIZED VIEW twin_history_activity WITH (timescaledb.continuous,
                            timescaledb.materialized_only = false) AS
                        SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, event_type,
                            coalesce(channel, '') AS channel, count(*) AS changes
                        FROM twin_history GROUP BY 1, 2, 3 WITH NO DATA""",
                        "SELECT add_continuous_aggregate_policy('twin_history_activity', start_offset => INTERVAL"
                                + " '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL"
                                + " '1 hour')")));
    }

    /**
     * The number of changes per time bucket, event type and channel in {@code [from, to)} (the two parameters): the
     * fleet's activity over time, ordered by bucket, event type and channel. On TimescaleDB, whole hours re-bucket the
     * continuous aggregate (real-time: it adds the rows not materialised yet).
     */
    static String activitySql(TimeSeriesTable table, Duration bucket) {
        if (table instanceof Hypertable && bucket.toSeconds() % 3600 == 0) {
            return "SELECT " + table.bucket(bucket, "bucket") + " AS b, event_type, channel, sum(changes)"
                    + " FROM twin_history_activity WHERE bucket >= ? AND bucket < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
        }
        return "SELECT " + table.bucket(bucket, "time") + " AS bucket, event_type, coalesce(channel, ''), count(*)"
                + " FROM twin_history WHERE time >= ? AND time < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
    }
}
