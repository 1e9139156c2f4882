package io.twinplatform.history.telemetry;

import io.twinplatform.history.TimeSeriesTable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention on native day partitions: partitions exist from the horizon's day to the days ahead, and a day is
 * dropped, rows and all, once the whole of it is past the retention; a day only partly past stays.
 */
class TelemetryRetentionTest {

    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final TelemetrySettings SETTINGS = new TelemetrySettings(true, Duration.ofDays(3), 2, 1000, 100,
            Duration.ofMinutes(10));

    private final TelemetryDatabase db = TelemetryDatabase.fresh();
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final TimeSeriesTable table = db.telemetryTable(SETTINGS, clock);
    private final TelemetryStore store = new TelemetryStore(db.jdbc, table, db.transaction);
    private final TelemetryRetention retention = new TelemetryRetention(SETTINGS, table, db.jdbc, clock);

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void partitionsExistFromTheHorizonsDayToTheDaysAhead() {
        assertThat(retention.maintain()).isEmpty();

        assertThat(retention.horizon()).isEqualTo(Instant.parse("2026-11-21T12:00:00Z"));
        assertThat(db.partitions()).containsExactly("telemetry_p20261121", "telemetry_p20261122",
                "telemetry_p20261123", "telemetry_p20261124", "telemetry_p20261125", "telemetry_p20261126");
    }

    @Test
    void dropsTheDaysWhollyPastTheRetentionWithTheirRows() {
        store.record(List.of(
                sample("2026-11-17T08:00:00Z"),
                sample("2026-11-20T23:59:59.999999Z"),
                sample("2026-11-21T06:00:00Z"),
                sample("2026-11-24T11:00:00Z")));

        List<String> dropped = retention.maintain();

        assertThat(dropped).containsExactly("telemetry_p20261117", "telemetry_p20261120");
        assertThat(db.jdbc.queryForList("SELECT ts FROM telemetry ORDER BY ts", Timestamp.class))
                .extracting(Timestamp::toInstant)
                .containsExactly(Instant.parse("2026-11-21T06:00:00Z"), Instant.parse("2026-11-24T11:00:00Z"));
        assertThat(db.partitions()).first().isEqualTo("telemetry_p20261121");
        assertThat(retention.maintain()).isEmpty();
    }

    @Test
    void aDroppedDayIsCreatedAgainWhenASampleNeedsIt() {
        store.record(List.of(sample("2026-11-19T08:00:00Z")));
        retention.maintain();

        store.record(List.of(sample("2026-11-19T09:00:00Z")));

        assertThat(db.partitions()).contains("telemetry_p20261119");
        assertThat(db.jdbc.queryForObject("SELECT count(*) FROM telemetry", Long.class)).isEqualTo(1);
    }

    private static TelemetrySample sample(String time) {
        return new TelemetrySample("d1", Instant.parse(time), "t", 1);
    }
}
