package io.twinplatform.history.telemetry;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * How the {@code telemetry} table is stored and aged, chosen once at start-up by {@code twin.history.dialect} like
 * the history table's: native PostgreSQL day partitions ({@link NativeTelemetryDialect}) or a TimescaleDB hypertable
 * ({@link TimescaleTelemetryDialect}). Both hold the same columns; inserts and reads outside this interface are
 * plain SQL that either answers.
 */
interface TelemetryDialect {

    /** {@code native} or {@code timescale}, as the history table's dialect is named. */
    String name();

    /** Makes the table ready at start-up and on every maintenance run: partitions ahead, or hypertable and policy. */
    void prepare();

    /** Makes sure a sample at {@code time} has somewhere to go (a native partition for its day). */
    void ensure(Instant time);

    /** Drops the partitions wholly older than {@code horizon}; returns their names, empty when the database does it. */
    List<String> dropOlderThan(Instant horizon);

    /**
     * Per measurement name and time bucket of one twin in {@code [from, to)}: bucket start, count, avg, min, max,
     * ordered by name and bucket. Parameters: twin id, from, to, and when {@code byName} the names (a text array).
     * Buckets start at whole multiples of {@code bucket} since 2000-01-01T00:00Z. The mean is the sum over the count:
     * PostgreSQL's {@code avg} of a double also sums the squares, which overflows from 1.3e154 on.
     */
    String bucketsSql(Duration bucket, boolean byName);
}
