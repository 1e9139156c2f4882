package io.twinplatform.history;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * How the history table is stored and aged, chosen once at start-up ({@code twin.history.dialect}): native PostgreSQL
 * day partitions ({@link NativeHistoryDialect}) or a TimescaleDB hypertable ({@link TimescaleHistoryDialect}). Both
 * hold the same columns; every read and write outside this interface is plain SQL on {@code twin_history} that
 * either answers.
 */
interface HistoryDialect {

    /** {@code native} or {@code timescale}: named in the start-up log and in {@code GET /fleet/activity}. */
    String name();

    /** Makes the table ready at start-up and on every maintenance run: partitions ahead, or hypertable and policies. */
    void prepare();

    /** Makes sure a row at {@code time} has somewhere to go (a native partition for its day). */
    void ensure(Instant time);

    /**
     * Drops the stored rows that are wholly older than {@code horizon}, once the retention has carried each twin's
     * latest of them forward; returns what was dropped (partition names), empty when the database drops them itself.
     */
    List<String> dropOlderThan(Instant horizon);

    /**
     * The number of changes per time bucket, event type and channel in {@code [from, to)}: the fleet's activity over
     * time. Buckets start at whole multiples of {@code bucket} since 2000-01-01T00:00Z.
     */
    String activitySql(Duration bucket);
}
