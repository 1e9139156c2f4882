package io.twinplatform.history.telemetry;

import io.twinplatform.history.TimeSeriesTable;

import java.time.Duration;
import java.util.List;

/**
 * The telemetry table {@code telemetry} (migration V21) as a {@link TimeSeriesTable}, and its bucketed read. Native
 * partitions are UTC days ({@code telemetry_p20261124}), not weeks as in the history table: reads are one twin over
 * hours, and a day is the retention's grain. TimescaleDB chunks are days too; its retention policy drops them at the
 * retention.
 */
final class TelemetryTable {

    static final String NAME = "telemetry";

    private TelemetryTable() {
    }

    static TimeSeriesTable.Spec spec(TelemetrySettings settings) {
        return new TimeSeriesTable.Spec(NAME, "ts", settings.retention(),
                new TimeSeriesTable.Partitions(1, 0, settings.partitionsAhead()),
                new TimeSeriesTable.Chunks(1, Duration.ZERO, null,
                        List.of("ALTER TABLE telemetry ADD PRIMARY KEY (twin_id, ts, name)")));
    }

    /**
     * Per measurement name and time bucket of one twin in {@code [from, to)}: bucket start, count, avg, min, max,
     * ordered by name and bucket. Parameters: twin id, from, to, and when {@code byName} the names (a text array).
     * Buckets start at whole multiples of {@code bucket} since 2000-01-01T00:00Z. The mean is the sum over the count:
     * PostgreSQL's {@code avg} of a double also sums the squares, which overflows from 1.3e154 on.
     */
    static String bucketsSql(TimeSeriesTable table, Duration bucket, boolean byName) {
        return "SELECT name, " + table.bucket(bucket, "ts") + ", count(*), sum(value) / count(*), min(value),"
                + " max(value) FROM telemetry WHERE twin_id = ? AND ts >= ? AND ts < ?"
                + (byName ? " AND name = ANY (?)" : "") + " GROUP BY 1, 2 ORDER BY 1, 2";
    }

    /**
     * The raw samples of one twin in {@code [from, to)} in (ts, name) order, as many as the last parameter says.
     * Parameters: twin id, from, to, when {@code byName} the names (a text array), when {@code after} the last
     * (ts, name) of the previous page, and the limit. The row comparison follows the primary key (twin_id, ts, name).
     */
    static String samplesSql(boolean byName, boolean after) {
        return "SELECT ts, name, value FROM telemetry WHERE twin_id = ? AND ts >= ? AND ts < ?"
                + (byName ? " AND name = ANY (?)" : "") + (after ? " AND (ts, name) > (?, ?)" : "")
                + " ORDER BY ts, name LIMIT ?";
    }
}
