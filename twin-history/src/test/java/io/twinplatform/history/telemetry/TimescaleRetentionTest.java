package io.twinplatform.history.telemetry;

import io.twinplatform.history.MovingClock;
import io.twinplatform.history.TimeSeriesTable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention on a TimescaleDB hypertable ({@link TelemetryDatabase#timescale()}; skipped without one): the retention policy
 * drops chunks while its job works; while the job does not run (stale, or failed) the platform's hourly run drops
 * the chunks past the retention itself.
 */
@EnabledIfEnvironmentVariable(named = io.twinplatform.testsupport.database.TestDatabase.TIMESCALE_URL, matches = ".+")
class TimescaleRetentionTest {

    private static final TelemetrySettings SETTINGS = new TelemetrySettings(true, Duration.ofDays(3), 2, 1000, 100,
            Duration.ofMinutes(10));
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    private final TelemetryDatabase db = TelemetryDatabase.timescale();
    private final MovingClock clock = new MovingClock(NOW);
    private final TimeSeriesTable table = db.telemetryHypertable(SETTINGS, clock);
    private final TelemetryStore store = new TelemetryStore(db.jdbc, table, db.transaction);
    private final TelemetryRetention retention = new TelemetryRetention(SETTINGS, table, db.jdbc, clock);

    @AfterEach
    void close() {
        db.jdbc.queryForList("SELECT _timescaledb_functions.start_background_workers()");
        db.close();
    }

    @Test
    void dropsTheChunksPastTheRetentionItselfWhileTheRetentionJobDoesNotRun() {
        // No job of this database runs while its scheduler is stopped.
        db.jdbc.queryForList("SELECT _timescaledb_functions.stop_background_workers()");
        assertThat(retention.maintain()).isEmpty();
        store.record(List.of(sample(NOW.minus(Duration.ofDays(10))), sample(NOW.minus(Duration.ofDays(5))),
                sample(NOW.minus(Duration.ofHours(1)))));

        // The job was just made: the chunks are TimescaleDB's to drop.
        assertThat(retention.maintain()).isEmpty();
        assertThat(samples()).hasSize(3);

        // The daily job has not run for two days: the platform drops what is past its horizon (now minus 3 days).
        clock.advance(Duration.ofDays(2).plusMinutes(1));
        List<String> dropped = retention.maintain();

        assertThat(dropped).hasSize(2).allSatisfy(chunk -> assertThat(chunk).contains("_chunk"));
        assertThat(samples()).containsExactly(NOW.minus(Duration.ofHours(1)));
        assertThat(retention.maintain()).isEmpty();
    }

    private List<Instant> samples() {
        return db.jdbc.queryForList("SELECT ts FROM telemetry ORDER BY ts", Timestamp.class).stream()
                .map(Timestamp::toInstant).toList();
    }

    private static TelemetrySample sample(Instant time) {
        return new TelemetrySample("d1", time, "t", 1);
    }
}
