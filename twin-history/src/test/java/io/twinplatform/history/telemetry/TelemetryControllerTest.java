package io.twinplatform.history.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@code GET /twins/{deviceId}/telemetry} against a real PostgreSQL: the buckets per measurement over a range
 * widened to whole buckets, its defaults, and each parameter it refuses, at that parameter, before it looks for the
 * twin.
 */
class TelemetryControllerTest {

    private static final Instant NOW = Instant.parse("2026-11-24T10:03:20Z");

    private final TelemetryDatabase db = TelemetryDatabase.fresh();
    private final TelemetryStore store = new TelemetryStore(db.jdbc,
            db.telemetryTable(TelemetrySettings.defaults(), Clock.fixed(NOW, ZoneOffset.UTC)), db.transaction);
    private final TelemetryController controller = new TelemetryController(db.jdbc, store, new ObjectMapper(),
            Clock.fixed(NOW, ZoneOffset.UTC));

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void answersEachMeasurementsBucketsOverTheRangeWidenedToWholeBuckets() {
        db.event("d1", "TwinCreated");
        store.record(List.of(
                new TelemetrySample("d1", Instant.parse("2026-11-24T09:00:01Z"), "temperature", 20.5),
                new TelemetrySample("d1", Instant.parse("2026-11-24T09:04:00Z"), "temperature", 21.5),
                new TelemetrySample("d1", Instant.parse("2026-11-24T09:06:00Z"), "temperature", 22),
                new TelemetrySample("d1", Instant.parse("2026-11-24T09:06:00Z"), "env.humidity", 40),
                new TelemetrySample("d1", Instant.parse("2026-11-24T08:59:59Z"), "temperature", 99)));

        String body = controller.telemetry("d1", null, "2026-11-24T09:00:00Z", "2026-11-24T09:07:30Z", "5m", null)
                .toString();

        assertThat(body).isEqualTo("{\"deviceId\":\"d1\",\"from\":\"2026-11-24T09:00:00Z\","
                + "\"to\":\"2026-11-24T09:10:00Z\",\"bucket\":\"PT5M\",\"series\":{"
                + "\"env.humidity\":[{\"start\":\"2026-11-24T09:05:00Z\",\"count\":1,\"avg\":40.0,\"min\":40.0,"
                + "\"max\":40.0}],"
                + "\"temperature\":[{\"start\":\"2026-11-24T09:00:00Z\",\"count\":2,\"avg\":21.0,\"min\":20.5,"
                + "\"max\":21.5},{\"start\":\"2026-11-24T09:05:00Z\",\"count\":1,\"avg\":22.0,\"min\":22.0,"
                + "\"max\":22.0}]}}");
    }

    @Test
    void byDefaultAnswersTheLast24HoursUpToNowInFiveMinuteBuckets() {
        db.event("d1", "TwinCreated");
        store.record(List.of(new TelemetrySample("d1", NOW.minus(Duration.ofHours(24)), "t", 1),
                new TelemetrySample("d1", NOW, "t", 2)));

        var body = controller.telemetry("d1", null, null, null, "5m", List.of("t"));

        assertThat(body.get("from").asText()).isEqualTo("2026-11-23T10:00:00Z");
        assertThat(body.get("to").asText()).isEqualTo("2026-11-24T10:05:00Z");
        assertThat(body.get("bucket").asText()).isEqualTo("PT5M");
        assertThat(body.get("series").get("t")).extracting(point -> point.get("start").asText())
                .containsExactly("2026-11-23T10:00:00Z", "2026-11-24T10:00:00Z");
    }

    @Test
    void aDeletedTwinsTelemetryIsStillRead() {
        db.event("d1", "TwinCreated");
        db.event("d1", "TwinDeleted");
        store.record(List.of(new TelemetrySample("d1", NOW, "t", 2)));

        assertThat(controller.telemetry("d1", null, null, null, "1h", null).get("series").get("t")).hasSize(1);
    }

    @Test
    void anUnknownTwinIsNotFound() {
        db.event("cfg:1", "io.twinplatform.api.configuration.ConfigurationCreated");

        assertRefused(() -> controller.telemetry("ghost", null, null, null, "5m", null), "twinNotFound", 404, null);
        assertRefused(() -> controller.telemetry("cfg:1", null, null, null, "5m", null), "twinNotFound", 404, null);
    }

    @Test
    void anInvalidDeviceIdIsRefused() {
        assertRefused(() -> controller.telemetry("no spaces", null, null, null, "5m", null), "invalidId", 400,
                "$.deviceId");
    }

    @ParameterizedTest
    @CsvSource({"from,not-an-instant,", "from,2026-11-24,", "to,,yesterday", "to,,2026-11-24T10:00"})
    void refusesAFromOrToThatIsNotAnInstantAtItsName(String parameter, String from, String to) {
        assertRefused(() -> controller.telemetry("d1", null, from, to, "5m", null), "invalidParameter", 400, parameter);
    }

    @ParameterizedTest
    @CsvSource({"2026-11-24T10:00:00Z,2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z,2026-11-24T09:00:00Z"})
    void refusesAFromThatIsNotBeforeTo(String from, String to) {
        assertRefused(() -> controller.telemetry("d1", null, from, to, "5m", null), "invalidParameter", 400, "from");
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "m", "5x", "0s", "-5m", "5 m", "PT0.5S", "PT1.5S", "PT0S", "32d", "P32D", "PT745H",
            "1w", "P1M", "5M", "99999999s", ""})
    void refusesABucketThatIsNotOneSecondTo31DaysAtBucket(String bucket) {
        assertRefused(() -> controller.telemetry("d1", null, null, null, bucket, null), "invalidParameter", 400,
                "bucket");
    }

    @ParameterizedTest
    @CsvSource({"1s,PT1S", "30s,PT30S", "5m,PT5M", "1h,PT1H", "1d,PT24H", "31d,PT744H", "PT5M,PT5M", "P1D,PT24H",
            "PT90S,PT1M30S", "pt15m,PT15M"})
    void acceptsBucketsAsUnitsOrIsoDurations(String bucket, String width) {
        assertThat(TelemetryController.width(bucket)).isEqualTo(Duration.parse(width));
    }

    @Test
    void refusesMoreThan10000Buckets() {
        db.event("d1", "TwinCreated");
        Instant from = Instant.parse("2026-11-24T00:00:00Z");

        assertThat(controller.telemetry("d1", null, from.toString(), from.plusSeconds(10_000).toString(), "1s", null)
                .get("series").isEmpty()).isTrue();
        assertRefused(() -> controller.telemetry("d1", null, from.toString(), from.plusSeconds(10_001).toString(), "1s",
                null), "tooManyBuckets", 422, "bucket");
        // The default day in one-second buckets is 86,400 of them.
        assertRefused(() -> controller.telemetry("d1", null, null, null, "1s", null), "tooManyBuckets", 422, "bucket");
    }

    @Test
    void parametersAreCheckedBeforeTheTwin() {
        assertRefused(() -> controller.telemetry("ghost", null, null, null, "0s", null), "invalidParameter", 400, "bucket");
    }

    private static void assertRefused(Runnable call, String code, int status, String path) {
        TwinException refusal = catchThrowableOfType(TwinException.class, call::run);
        assertThat(refusal).as("refused").isNotNull();
        TwinError error = refusal.error();
        assertThat(error.code()).as("%s", error).isEqualTo(code);
        assertThat(error.kind().status()).as("%s", error).isEqualTo(status);
        assertThat(error.path()).as("%s", error).isEqualTo(path);
    }
}
