package io.twinplatform.history;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A table of rows by time that ages by whole time ranges: the history table and the telemetry table. How it is stored
 * is chosen once at start-up by {@code twin.history.dialect} ({@link TimescaleChoice}) for both: native PostgreSQL
 * range partitions ({@link PartitionedTable}) or a TimescaleDB hypertable ({@link Hypertable}). Both hold the same
 * columns; every read and write outside this interface is plain SQL on the table that either answers.
 */
public sealed interface TimeSeriesTable permits PartitionedTable, Hypertable {

    /** {@code native} or {@code timescale}: named in the start-up log and in {@code GET /fleet/activity}. */
    String dialect();

    /** Makes the table ready at start-up and on every retention run: partitions ahead, or hypertable and policies. */
    void prepare();

    /** Makes sure a row at {@code time} has somewhere to go (a native partition for its period). */
    void ensure(Instant time);

    /**
     * Drops the stored rows that are wholly older than {@code horizon}; returns what was dropped (partition or chunk
     * names), empty when the database drops them itself (a retention policy that does its work).
     */
    List<String> dropOlderThan(Instant horizon);

    /**
     * The SQL expression for the start of the bucket of width {@code width} that {@code column} falls in; buckets
     * start at whole multiples of the width since 2000-01-01T00:00Z.
     */
    String bucket(Duration width, String column);

    /**
     * The TimescaleDB policy jobs that age the table, each with how it does now; empty on native partitions, which
     * have none (the platform's own retention run is all there is).
     */
    default List<PolicyJob.Verdict> policyJobs() {
        return List.of();
    }

    /** The table in the dialect chosen: TimescaleDB when {@code timescale}, native partitions otherwise. */
    static TimeSeriesTable of(Spec spec, boolean timescale, JdbcTemplate jdbc, TransactionTemplate transaction,
                              Clock clock) {
        return timescale ? new Hypertable(spec, jdbc, transaction, clock) : new PartitionedTable(spec, jdbc, clock);
    }

    /**
     * One table's layout.
     *
     * @param table      the table, created partitioned by {@code timeColumn} by a Flyway migration
     * @param timeColumn the column the table is partitioned (or chunked) by
     * @param retention  how long rows stay
     * @param partitions native dialect: the partitions' width and alignment and how many days exist ahead
     * @param chunks     TimescaleDB dialect: the chunks' width, the policies, and what to add to a new hypertable
     */
    public record Spec(String table, String timeColumn, Duration retention, Partitions partitions, Chunks chunks) {

        public Spec {
            Objects.requireNonNull(table);
            Objects.requireNonNull(timeColumn);
            Objects.requireNonNull(partitions);
            Objects.requireNonNull(chunks);
        }
    }

    /**
     * Native partitions, named {@code <table>_pyyyyMMdd} after their first day.
     *
     * @param days           each partition's width in days
     * @param anchorEpochDay partitions start on the days a multiple of {@code days} from this one (days since
     *                       1970-01-01)
     * @param ahead          how many days of partitions exist ahead of today after each retention run
     */
    public record Partitions(int days, long anchorEpochDay, int ahead) {
    }

    /**
     * A hypertable's chunks and policies.
     *
     * @param days          each chunk's width in days
     * @param dropMargin    how long after the retention the retention policy drops a chunk (zero: at the retention)
     * @param compressAfter chunks older than this are compressed; null for no compression policy
     * @param setup         statements run once, right after the table became a hypertable (keys, indexes,
     *                      compression settings, continuous aggregates), in the same transaction
     */
    public record Chunks(int days, Duration dropMargin, Duration compressAfter, List<String> setup) {

        public Chunks {
            setup = List.copyOf(setup);
        }
    }
}
