package io.twinplatform.history.telemetry;

import io.twinplatform.history.RangePartitions;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Native PostgreSQL: {@code telemetry} is range-partitioned by {@code ts} (migration V21) into UTC days, named after
 * the day ({@code telemetry_p20261124}). Partitions exist from the retention's horizon to
 * {@code twin.telemetry.partitions-ahead} days ahead, and the writer makes sure of the day of each sample it stores;
 * a partition is dropped once its whole day is older than the retention, which is all the retention costs. Days,
 * not weeks as in the history table: reads are one twin over hours, and a day is the retention's grain.
 */
class NativeTelemetryDialect implements TelemetryDialect {

    static final String PREFIX = "telemetry_p";

    private final TelemetrySettings settings;
    private final Clock clock;
    private final RangePartitions partitions;

    NativeTelemetryDialect(JdbcTemplate jdbc, TelemetrySettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.partitions = new RangePartitions(jdbc, "telemetry", PREFIX, 1, 0);
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
    public String bucketsSql(Duration bucket, boolean byName) {
        return "SELECT name, date_bin(make_interval(secs => " + bucket.toSeconds() + "), ts,"
                + " TIMESTAMPTZ '2000-01-01 00:00:00+00'), count(*), sum(value) / count(*), min(value), max(value)"
                + " FROM telemetry WHERE twin_id = ? AND ts >= ? AND ts < ?" + (byName ? " AND name = ANY (?)" : "")
                + " GROUP BY 1, 2 ORDER BY 1, 2";
    }
}
