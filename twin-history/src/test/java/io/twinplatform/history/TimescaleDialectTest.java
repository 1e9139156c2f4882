package io.twinplatform.history;

import io.twinplatform.history.PolicyJob.Kind;
import io.twinplatform.testsupport.database.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The history table in the TimescaleDB dialect, where a TimescaleDB can be reached ({@link TestDatabase#timescale()}:
 * set {@code TWIN_TIMESCALE_URL}; skipped otherwise): a native install's partitioned table becomes a hypertable
 * holding the same rows, with its retention, compression and continuous-aggregate refresh policies; the policies'
 * jobs are kept from run to run (their record of runs is what tells whether they work) and one is replaced when its
 * setting changes; the fleet's activity comes from the continuous aggregate and counts what the rows count.
 */
@EnabledIfEnvironmentVariable(named = TestDatabase.TIMESCALE_URL, matches = ".+")
class TimescaleDialectTest {

    private static final HistorySettings SETTINGS = new HistorySettings(true, Duration.ofDays(90), 7, 1000,
            "timescale", Duration.ofDays(7), 2, 2, 200);
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    private final TestDatabase db = TestDatabase.timescale(TestDatabase.PLATFORM, TestDatabase.HISTORY);

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void turnsThePartitionedTableIntoAHypertableWithItsRowsAndPolicies() {
        TimeSeriesTable.of(HistoryTable.spec(SETTINGS), false, db.jdbc(), db.transaction(), Clock.systemUTC()).prepare();
        row("d1", 1, NOW.minus(Duration.ofDays(3)), "TwinCreated");
        row("d1", 2, NOW.minus(Duration.ofHours(2)), "TwinPatched");

        TimeSeriesTable table = hypertable(SETTINGS);
        table.prepare();

        assertThat(TimescaleChoice.useTimescale("auto", db.jdbc())).isTrue();
        assertThat(db.jdbc().queryForList("SELECT hypertable_name FROM timescaledb_information.hypertables"
                + " WHERE hypertable_schema = current_schema()", String.class)).containsExactly("twin_history");
        assertThat(db.jdbc().queryForList("SELECT version FROM twin_history ORDER BY version", Long.class))
                .containsExactly(1L, 2L);
        assertThat(table.policyJobs()).extracting(verdict -> verdict.job().kind(), verdict -> verdict.job().target())
                .containsExactlyInAnyOrder(tuple(Kind.RETENTION, "twin_history"), tuple(Kind.COMPRESSION,
                        "twin_history"), tuple(Kind.REFRESH, "twin_history_activity"));
        assertThat(table.policyJobs()).allSatisfy(verdict -> assertThat(verdict.job().table())
                .isEqualTo("twin_history"));
    }

    @Test
    void keepsItsPolicyJobsFromRunToRunAndReplacesOneWhoseSettingChanged() {
        TimeSeriesTable table = hypertable(SETTINGS);
        table.prepare();
        Map<Kind, Integer> first = ids(table);

        table.prepare();
        assertThat(ids(table)).isEqualTo(first);

        TimeSeriesTable shorter = hypertable(new HistorySettings(true, Duration.ofDays(30), 7, 1000, "timescale",
                Duration.ofDays(7), 2, 2, 200));
        shorter.prepare();
        Map<Kind, Integer> after = ids(shorter);
        assertThat(after.get(Kind.RETENTION)).isNotEqualTo(first.get(Kind.RETENTION));
        assertThat(after.get(Kind.COMPRESSION)).isEqualTo(first.get(Kind.COMPRESSION));
        assertThat(after.get(Kind.REFRESH)).isEqualTo(first.get(Kind.REFRESH));
        assertThat(db.jdbc().queryForObject("SELECT (config ->> 'drop_after')::interval = INTERVAL '32 days'"
                + " FROM timescaledb_information.jobs WHERE job_id = ?", Boolean.class, after.get(Kind.RETENTION)))
                .isTrue();
    }

    @Test
    void answersTheFleetsActivityFromTheContinuousAggregateWithTheRowsCounts() {
        TimeSeriesTable table = hypertable(SETTINGS);
        table.prepare();
        Instant hour = NOW.truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(2));
        row("d1", 1, hour.plusSeconds(60), "TwinCreated");
        row("d1", 2, hour.plusSeconds(120), "TwinPatched");
        row("d2", 1, hour.plusSeconds(180), "TwinPatched");
        row("d2", 2, hour.plus(Duration.ofMinutes(70)), "TwinPatched");

        String sql = HistoryTable.activitySql(table, Duration.ofHours(1));
        List<String> buckets = db.jdbc().query(sql, (rs, n) -> rs.getTimestamp(1).toInstant() + " " + rs.getString(2)
                + " " + rs.getLong(4), Timestamp.from(hour.minus(Duration.ofHours(1))), Timestamp.from(NOW));

        assertThat(sql).contains("twin_history_activity");
        assertThat(buckets).containsExactly(hour + " TwinCreated 1", hour + " TwinPatched 2",
                hour.plus(Duration.ofHours(1)) + " TwinPatched 1");
    }

    private TimeSeriesTable hypertable(HistorySettings settings) {
        return TimeSeriesTable.of(HistoryTable.spec(settings), true, db.jdbc(), db.transaction(), Clock.systemUTC());
    }

    private static Map<Kind, Integer> ids(TimeSeriesTable table) {
        return table.policyJobs().stream().collect(Collectors.toMap(verdict -> verdict.job().kind(),
                verdict -> verdict.job().id()));
    }

    private void row(String twin, long version, Instant time, String type) {
        db.jdbc().update("""
                INSERT INTO twin_history (time, twin_id, device_id, version, event_type, event_id, global_index, paths,
                    change) VALUES (?, ?, ?, ?, ?, gen_random_uuid()::text, 0, '{}', '{}')""",
                Timestamp.from(time), twin, twin, version, type);
    }
}
