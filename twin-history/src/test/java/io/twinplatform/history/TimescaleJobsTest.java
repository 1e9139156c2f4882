package io.twinplatform.history;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.twinplatform.history.PolicyJob.Kind;
import io.twinplatform.history.PolicyJob.State;
import io.twinplatform.testsupport.database.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The watch on TimescaleDB's policy jobs, on a TimescaleDB ({@link TestDatabase#timescale()}; skipped without one):
 * a job that does not run is stale two intervals after it was first seen, a job whose run failed is failed, and both
 * make the health component DEGRADED and show in the gauge {@code twin.timescale.jobs{table,job,state}}.
 */
@EnabledIfEnvironmentVariable(named = TestDatabase.TIMESCALE_URL, matches = ".+")
class TimescaleJobsTest {

    private static final HistorySettings SETTINGS = new HistorySettings(true, Duration.ofDays(90), 7, 1000,
            "timescale", Duration.ofDays(7), 2, 2, 200);

    private final TestDatabase db = TestDatabase.timescale(TestDatabase.PLATFORM, TestDatabase.HISTORY);
    private final MovingClock clock = new MovingClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    private final TimeSeriesTable table = TimeSeriesTable.of(HistoryTable.spec(SETTINGS), true, db.jdbc(),
            db.transaction(), clock);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final TimescaleJobs jobs = new TimescaleJobs(List.of(table), null, meters, null);

    @AfterEach
    void close() {
        db.jdbc().queryForList("SELECT _timescaledb_functions.start_background_workers()");
        db.close();
    }

    @Test
    void jobsThatDoNotRunForTwoIntervalsAreStaleInTheHealthAndTheGauge() {
        // No job of this database runs while its scheduler is stopped.
        db.jdbc().queryForList("SELECT _timescaledb_functions.stop_background_workers()");
        table.prepare();

        assertThat(jobs.refresh()).extracting(PolicyJob.Verdict::state).containsOnly(State.OK);
        assertThat(jobs.health().getStatus()).isEqualTo(Status.UP);
        assertThat(gauge(Kind.REFRESH, State.OK)).isEqualTo(1);

        // The aggregate's refresh runs hourly, compression every 12 hours, retention daily.
        clock.advance(Duration.ofHours(2).plusSeconds(1));
        jobs.refresh();

        Health health = jobs.health();
        assertThat(health.getStatus().getCode()).isEqualTo("DEGRADED");
        assertThat(detail(health, "refresh")).containsEntry("state", "stale").containsEntry("lastSuccess", null)
                .containsEntry("target", "twin_history_activity");
        assertThat(detail(health, "retention")).containsEntry("state", "ok");
        assertThat(gauge(Kind.REFRESH, State.STALE)).isEqualTo(1);
        assertThat(gauge(Kind.REFRESH, State.OK)).isZero();
        assertThat(gauge(Kind.RETENTION, State.OK)).isEqualTo(1);
    }

    @Test
    void aJobWhoseRunFailedIsFailed() throws Exception {
        db.jdbc().queryForList("SELECT _timescaledb_functions.stop_background_workers()");
        table.prepare();
        int retention = table.policyJobs().stream().filter(verdict -> verdict.job().kind() == Kind.RETENTION)
                .findFirst().orElseThrow().job().id();
        // Its run is made to fail, on any PostgreSQL: the hypertable its settings name does not exist.
        db.jdbc().queryForList("SELECT alter_job(?, next_start => now())", retention);
        db.jdbc().update("UPDATE _timescaledb_catalog.bgw_job SET config = jsonb_set(config, '{hypertable_id}',"
                + " '2147483647') WHERE id = ?", retention);
        db.jdbc().queryForList("SELECT _timescaledb_functions.start_background_workers()");

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline && db.jdbc().queryForObject("SELECT coalesce(max(total_failures), 0)"
                + " FROM timescaledb_information.job_stats WHERE job_id = ?", Long.class, retention) == 0) {
            Thread.sleep(200);
        }

        PolicyJob.Verdict verdict = jobs.refresh().stream().filter(v -> v.job().id() == retention).findFirst()
                .orElseThrow();
        assertThat(verdict.state()).isEqualTo(State.FAILED);
        assertThat(verdict.job().lastRun()).isEqualTo("Failed");
        assertThat(verdict.job().failures()).isPositive();
        assertThat(jobs.health().getStatus().getCode()).isEqualTo("DEGRADED");
        assertThat(detail(jobs.health(), "retention")).containsEntry("state", "failed")
                .containsEntry("lastSuccess", null);
        assertThat(gauge(Kind.RETENTION, State.FAILED)).isEqualTo(1);
    }

    private double gauge(Kind kind, State state) {
        return meters.get(TimescaleJobs.METER).tags("table", "twin_history", "job", kind.tag(), "state", state.tag())
                .gauge().value();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> detail(Health health, String job) {
        return (Map<String, Object>) ((Map<String, Object>) health.getDetails().get("twin_history")).get(job);
    }
}
