package io.twinplatform.history;

import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

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

    private final HistorySettings settings;
    private final Clock clock;
    private final RangePartitions partitions;

    NativeHistoryDialect(JdbcTemplate jdbc, HistorySettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.partitions = new RangePartitions(jdbc, "twin_history", PREFIX, DAYS, MONDAY);
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public void prepare() {
        partitions.prepare(clock.instant(), settings.retention(), settings.partitionsAhead());
    }

    @Override
    public void ensure(Instant time) {
        partitions.ensure(time);
    }

    @Override
    public List<String> dropOlderThan(Instant horizon) {
        return partitions.dropOlderThan(horizon);
    }

    @Override
    public String activitySql(Duration bucket) {
        return "SELECT date_bin(make_interval(secs => " + bucket.toSeconds() + "), time, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
                + " AS bucket, event_type, coalesce(channel, ''), count(*) FROM twin_history"
                + " WHERE time >= ? AND time < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
    }
}
