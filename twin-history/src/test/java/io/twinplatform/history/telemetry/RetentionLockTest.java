package io.twinplatform.history.telemetry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two platform instances on one database run a retention one at a time: while one instance's run is under way, the
 * other's run skips at once and drops nothing; the first does the work, and once it is done the next run can go.
 */
class RetentionLockTest {

    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final TelemetrySettings SETTINGS = new TelemetrySettings(true, Duration.ofDays(3), 2, 1000, 100,
            Duration.ofMinutes(10));

    private final TelemetryDatabase db = TelemetryDatabase.fresh();
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final TelemetryRetention first = instance();
    private final TelemetryRetention second = instance();

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aRunWhileAnotherInstanceRunsSkipsAndTheWorkIsDoneOnce() throws Exception {
        TelemetryStore store = new TelemetryStore(db.jdbc, db.telemetryTable(SETTINGS, clock), db.transaction);
        store.record(List.of(new TelemetrySample("d1", Instant.parse("2026-11-17T08:00:00Z"), "t", 1)));
        CompletableFuture<List<String>> firstRun;
        try (Connection blocker = db.dataSource.getConnection(); Statement statement = blocker.createStatement()) {
            // Holds the first run inside its work: its drop of the old day waits for this transaction's lock.
            blocker.setAutoCommit(false);
            statement.execute("LOCK TABLE telemetry_p20261117 IN ACCESS EXCLUSIVE MODE");
            firstRun = CompletableFuture.supplyAsync(first::maintain);
            awaitWaitingOnALock();

            List<String> secondRun = CompletableFuture.supplyAsync(second::maintain).get(10, TimeUnit.SECONDS);

            assertThat(secondRun).isEmpty();
            assertThat(firstRun).isNotDone();
            blocker.commit();
        }
        assertThat(firstRun.get(10, TimeUnit.SECONDS)).containsExactly("telemetry_p20261117");
        assertThat(db.partitions()).doesNotContain("telemetry_p20261117").contains("telemetry_p20261126");
        store.record(List.of(new TelemetrySample("d1", Instant.parse("2026-11-18T08:00:00Z"), "t", 1)));
        assertThat(second.maintain()).as("the next run, the first one done").containsExactly("telemetry_p20261118");
        assertThat(db.jdbc.queryForObject("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'", Long.class))
                .as("advisory locks left held").isZero();
    }

    private TelemetryRetention instance() {
        return new TelemetryRetention(SETTINGS, db.telemetryTable(SETTINGS, clock), db.jdbc, clock);
    }

    private void awaitWaitingOnALock() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (db.jdbc.queryForObject("SELECT count(*) FROM pg_locks WHERE NOT granted", Long.class) > 0) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the first run never reached the locked partition");
    }
}
