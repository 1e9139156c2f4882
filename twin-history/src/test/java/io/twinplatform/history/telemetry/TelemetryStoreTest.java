package io.twinplatform.history.telemetry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The telemetry table against a real PostgreSQL: samples stored in batches, and per measurement the count, mean,
 * least and greatest of each time bucket, buckets aligned to 2000-01-01T00:00Z and borders belonging to the bucket
 * they start.
 */
class TelemetryStoreTest {

    private static final Instant T = Instant.parse("2026-11-24T10:00:00Z");
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

    private final TelemetryDatabase db = TelemetryDatabase.fresh();
    private final TelemetryStore store = new TelemetryStore(db.jdbc,
            db.telemetryTable(TelemetrySettings.defaults(), Clock.fixed(T, ZoneOffset.UTC)), db.transaction);

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void eachBucketHoldsTheSamplesFromItsStartUpToTheNextBucket() {
        store.record(List.of(
                sample("d1", "09:59:59.999999", "t", 10),
                sample("d1", "10:00:00", "t", 20),
                sample("d1", "10:02:30", "t", 21),
                sample("d1", "10:04:59.999999", "t", 23.5),
                sample("d1", "10:05:00", "t", 30),
                sample("d1", "10:14:00", "t", 40),
                sample("d1", "10:01:00", "h", 55)));

        Map<String, List<TelemetryStore.Bucket>> series = store.buckets("d1", T.minus(FIVE_MINUTES),
                T.plus(Duration.ofMinutes(15)), FIVE_MINUTES, List.of());

        assertThat(series.keySet()).containsExactly("h", "t");
        assertThat(series.get("h")).containsExactly(new TelemetryStore.Bucket(T, 1, 55, 55, 55));
        List<TelemetryStore.Bucket> t = series.get("t");
        assertThat(t).extracting(TelemetryStore.Bucket::start).containsExactly(T.minus(FIVE_MINUTES), T,
                T.plus(FIVE_MINUTES), T.plus(Duration.ofMinutes(10)));
        assertThat(t).extracting(TelemetryStore.Bucket::count).containsExactly(1L, 3L, 1L, 1L);
        assertThat(t.get(1).avg()).isCloseTo(64.5 / 3, within(1e-9));
        assertThat(t.get(1).min()).isEqualTo(20);
        assertThat(t.get(1).max()).isEqualTo(23.5);
        assertThat(t.get(0)).isEqualTo(new TelemetryStore.Bucket(T.minus(FIVE_MINUTES), 1, 10, 10, 10));
    }

    @Test
    void bucketsStartAtWholeMultiplesSince2000NotAtFrom() {
        store.record(List.of(sample("d1", "10:02:00", "t", 1), sample("d1", "10:07:59", "t", 3),
                sample("d1", "10:08:00", "t", 5)));

        List<TelemetryStore.Bucket> t = store.buckets("d1", T, T.plus(Duration.ofHours(1)), Duration.ofMinutes(7),
                List.of()).get("t");

        // 2026-11-24T10:00Z is 14,147,160 minutes after 2000-01-01, 6 more than a multiple of 7: the 7-minute
        // buckets start at 09:54, 10:01, 10:08, ...
        assertThat(t).containsExactly(new TelemetryStore.Bucket(Instant.parse("2026-11-24T10:01:00Z"), 2, 2, 1, 3),
                new TelemetryStore.Bucket(Instant.parse("2026-11-24T10:08:00Z"), 1, 5, 5, 5));
    }

    @Test
    void theRangeIncludesFromAndExcludesTo() {
        store.record(List.of(sample("d1", "10:00:00", "t", 1), sample("d1", "10:10:00", "t", 2)));

        assertThat(store.buckets("d1", T, T.plus(Duration.ofMinutes(10)), FIVE_MINUTES, List.of()).get("t"))
                .containsExactly(new TelemetryStore.Bucket(T, 1, 1, 1, 1));
    }

    @Test
    void namesSelectMeasurementsAndOtherTwinsStayOut() {
        store.record(List.of(sample("d1", "10:00:00", "t", 1), sample("d1", "10:00:00", "h", 2),
                sample("d1", "10:00:00", "env.co2", 3), sample("d2", "10:00:00", "t", 4)));

        Map<String, List<TelemetryStore.Bucket>> series = store.buckets("d1", T, T.plus(FIVE_MINUTES), FIVE_MINUTES,
                List.of("t", "env.co2", "absent"));

        assertThat(series.keySet()).containsExactly("env.co2", "t");
        assertThat(series.get("t")).containsExactly(new TelemetryStore.Bucket(T, 1, 1, 1, 1));
    }

    @Test
    void aSampleStoredAgainIsKeptOnce() {
        List<TelemetrySample> message = List.of(sample("d1", "10:00:00", "t", 1), sample("d1", "10:00:00", "h", 2));

        store.record(message);
        store.record(message);

        assertThat(db.jdbc.queryForObject("SELECT count(*) FROM telemetry", Long.class)).isEqualTo(2);
    }

    @Test
    void aBatchOfAThousandSamplesOverSeveralDaysFindsItsPartitions() {
        List<TelemetrySample> batch = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            batch.add(new TelemetrySample("d" + i % 7, T.minus(Duration.ofMinutes(7L * i)), "m" + i % 3, i));
        }

        store.record(batch);

        assertThat(db.jdbc.queryForObject("SELECT count(*) FROM telemetry", Long.class)).isEqualTo(1000);
        assertThat(db.partitions()).containsExactly("telemetry_p20261119", "telemetry_p20261120",
                "telemetry_p20261121", "telemetry_p20261122", "telemetry_p20261123", "telemetry_p20261124");
    }

    @Test
    void theLargestAndSmallestValuesAreAggregatedAtDoublePrecision() {
        store.record(List.of(sample("d1", "10:00:00", "x", 1e300), sample("d1", "10:00:01", "x", 1e300),
                sample("d1", "10:00:02", "x", -4.9e-324), sample("d1", "10:00:03", "x", 0.1)));

        TelemetryStore.Bucket bucket = store.buckets("d1", T, T.plus(FIVE_MINUTES), FIVE_MINUTES, List.of())
                .get("x").get(0);

        assertThat(bucket).isEqualTo(new TelemetryStore.Bucket(T, 4, 5e299, -4.9e-324, 1e300));
    }

    private static TelemetrySample sample(String twinId, String time, String name, double value) {
        return new TelemetrySample(twinId, Instant.parse("2026-11-24T" + time + "Z"), name, value);
    }
}
