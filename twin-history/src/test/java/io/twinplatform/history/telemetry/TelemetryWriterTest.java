package io.twinplatform.history.telemetry;

import io.twinplatform.api.error.TwinError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ingest's writer against a real PostgreSQL: telemetry of existing twins is stored and only then acknowledged;
 * that of twins that do not exist, are deleted or are not twins at all is rejected with {@code twinNotFound}; and a
 * twin once known is not asked about again within the cache's time to live.
 */
class TelemetryWriterTest {

    private static final Instant T = Instant.parse("2026-11-24T10:00:00Z");

    private final TelemetryDatabase db = TelemetryDatabase.fresh();
    private final TelemetryStore store = new TelemetryStore(db.jdbc,
            db.telemetryTable(TelemetrySettings.defaults(), Clock.fixed(T, ZoneOffset.UTC)),
            db.transaction);
    private final Map<String, TwinError> rejected = new ConcurrentHashMap<>();
    private final List<String> acknowledged = new CopyOnWriteArrayList<>();
    private TelemetryWriter writer;

    @AfterEach
    void close() {
        if (writer != null) {
            writer.stop(Duration.ofSeconds(5));
        }
        db.close();
    }

    @Test
    void storesTheSamplesOfExistingTwinsAndAcknowledgesEachMessageOnlyOnceItsRowsAreCommitted() throws Exception {
        db.event("d1", "TwinCreated");
        db.event("d2", "TwinCreated");
        db.event("d2", "TwinPatched");
        writer = writer(Duration.ofMinutes(10));
        Map<String, Long> rowsWhenAcknowledged = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(3);
        writer.start();

        for (String[] message : new String[][]{{"d1", "a"}, {"d2", "b"}, {"d1", "c"}}) {
            String id = message[1];
            writer.offer(new TelemetryWriter.Delivery(message[0], "twins/" + message[0] + "/telemetry",
                    List.of(new TelemetrySample(message[0], T, id + ".x", 1), new TelemetrySample(message[0], T,
                            id + ".y", 2)), () -> {
                rowsWhenAcknowledged.put(id, db.jdbc.queryForObject(
                        "SELECT count(*) FROM telemetry WHERE name LIKE ?", Long.class, id + ".%"));
                done.countDown();
            }));
        }

        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(rowsWhenAcknowledged).containsExactlyInAnyOrderEntriesOf(Map.of("a", 2L, "b", 2L, "c", 2L));
        assertThat(rejected).isEmpty();
    }

    @Test
    void rejectsTheTelemetryOfTwinsThatDoNotExistAreDeletedOrAreNoTwinWithTwinNotFound() throws Exception {
        db.event("d1", "TwinCreated");
        db.event("gone", "TwinCreated");
        db.event("gone", "TwinDeleted");
        db.event("back", "TwinCreated");
        db.event("back", "TwinDeleted");
        db.event("back", "TwinCreated");
        db.event("cfg:1", "io.twinplatform.api.configuration.ConfigurationCreated");
        writer = writer(Duration.ofMinutes(10));

        writer.write(List.of(delivery("d1"), delivery("ghost"), delivery("gone"), delivery("back"),
                delivery("cfg:1")));

        assertThat(rejected.keySet()).containsExactlyInAnyOrder("ghost", "gone", "cfg:1");
        TwinError error = rejected.get("ghost");
        assertThat(error.code()).isEqualTo("twinNotFound");
        assertThat(error.kind().status()).isEqualTo(404);
        assertThat(acknowledged).containsExactlyInAnyOrder("d1", "back");
        assertThat(db.jdbc.queryForList("SELECT DISTINCT twin_id FROM telemetry ORDER BY 1", String.class))
                .containsExactly("back", "d1");
    }

    @Test
    void aKnownTwinIsNotAskedAboutAgainWithinTheCachesTimeToLive() throws Exception {
        db.event("d1", "TwinCreated");
        db.event("d2", "TwinCreated");
        writer = writer(Duration.ofMinutes(10));
        writer.write(List.of(delivery("d1")));
        db.event("d1", "TwinDeleted");
        db.event("d2", "TwinDeleted");

        writer.write(List.of(delivery("d1"), delivery("d2")));

        assertThat(rejected.keySet()).containsExactly("d2");
        assertThat(acknowledged).containsExactly("d1", "d1");
    }

    @Test
    void withoutACacheEveryBatchAsks() throws Exception {
        db.event("d1", "TwinCreated");
        writer = writer(Duration.ZERO);
        writer.write(List.of(delivery("d1")));
        db.event("d1", "TwinDeleted");

        writer.write(List.of(delivery("d1")));

        assertThat(rejected.keySet()).containsExactly("d1");
    }

    /**
     * A lone message is written at once, not held for company: the broker sends no more until it is acknowledged,
     * after its commit (a 200 ms wait for more capped the stream near 2,000 samples/s).
     */
    @Test
    void aLoneMessageIsWrittenWithoutWaitingForMore() throws Exception {
        db.event("d1", "TwinCreated");
        writer = writer(Duration.ofMinutes(10));
        writer.start();
        CountDownLatch done = new CountDownLatch(1);
        long start = System.nanoTime();

        writer.offer(new TelemetryWriter.Delivery("d1", "twins/d1/telemetry", List.of(new TelemetrySample("d1", T,
                "t", 1)), done::countDown));

        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(190));
    }

    @Test
    void aStopWritesWhatIsQueued() {
        db.event("d1", "TwinCreated");
        writer = writer(Duration.ofMinutes(10));
        writer.start();
        for (int i = 0; i < 50; i++) {
            writer.offer(new TelemetryWriter.Delivery("d1", "twins/d1/telemetry",
                    List.of(new TelemetrySample("d1", T.plusMillis(i), "t", i)), () -> acknowledged.add("d1")));
        }

        writer.stop(Duration.ofSeconds(5));

        assertThat(acknowledged).hasSize(50);
        assertThat(db.jdbc.queryForObject("SELECT count(*) FROM telemetry", Long.class)).isEqualTo(50);
        assertThat(writer.offer(delivery("d1"))).isFalse();
    }

    private TelemetryWriter writer(Duration cacheTtl) {
        TelemetrySettings settings = new TelemetrySettings(true, Duration.ofDays(90), 7, 1000, 100, cacheTtl);
        return new TelemetryWriter(store, new KnownTwins(db.jdbc, settings.twinCacheSize(), settings.twinCacheTtl()),
                settings, (delivery, error) -> rejected.put(delivery.twinId(), error));
    }

    private TelemetryWriter.Delivery delivery(String twinId) {
        return new TelemetryWriter.Delivery(twinId, "twins/" + twinId + "/telemetry",
                List.of(new TelemetrySample(twinId, T, "t", 1)), () -> acknowledged.add(twinId));
    }
}
