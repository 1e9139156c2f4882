package io.twinplatform.api.model;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class TimestampsTest {

    private static TwinError refusal(String value) {
        return catchThrowableOfType(() -> Timestamps.parameter("from", value), TwinException.class).error();
    }

    @Test
    void aParameterIsAnIsoInstant() {
        assertThat(Timestamps.parameter("from", "2026-11-24T03:12:00Z")).isEqualTo(Instant.parse("2026-11-24T03:12:00Z"));
        assertThat(Timestamps.parameter("from", null)).isNull();
    }

    @Test
    void takesTheFirstAndLastInstantOfTheYears0001To9999() {
        assertThat(Timestamps.parameter("from", "0001-01-01T00:00:00Z")).isEqualTo(Timestamps.EARLIEST);
        assertThat(Timestamps.parameter("to", "9999-12-31T23:59:59.999999999Z")).isEqualTo(Timestamps.LATEST);
    }

    @Test
    void refusesInstantsOutsideTheYears0001To9999AsABadParameter() {
        for (String value : new String[]{"-999999999-01-01T00:00:00Z", "+999999999-12-31T23:59:59Z",
                "0000-01-01T00:00:00Z", "0000-12-31T23:59:59.999Z", "-0001-01-01T00:00:00Z", "+10000-01-01T00:00:00Z"}) {
            TwinError error = refusal(value);

            assertThat(error.kind()).as(value).isEqualTo(ErrorKind.MALFORMED);
            assertThat(error.code()).as(value).isEqualTo("invalidParameter");
            assertThat(error.path()).as(value).isEqualTo("from");
            assertThat(error.detail()).as(value).contains("0001-01-01T00:00:00Z").contains("9999-12-31T23:59:59Z");
        }
    }

    @Test
    void refusesWhatIsNotAnIsoInstant() {
        for (String value : new String[]{"", "now", "2026-01-01", "2026-01-01T00:00:00", "2026-02-30T00:00:00Z",
                "1e10", "2026-01-01T00:00:00Z\u0000"}) {
            assertThat(refusal(value).code()).as(value).isEqualTo("invalidParameter");
        }
    }

    @Test
    void boundedIsNullOutsideTheRangeSoEachCallerRefusesWithItsOwnCode() {
        assertThat(Timestamps.bounded("2026-11-24T03:12:00Z")).isEqualTo(Instant.parse("2026-11-24T03:12:00Z"));
        assertThat(Timestamps.bounded("-999999999-01-01T00:00:00Z")).isNull();
        assertThat(Timestamps.bounded("garbage")).isNull();
        assertThat(Timestamps.bounded(null)).isNull();
    }

    @Test
    void theRangeIncludesItsEnds() {
        assertThat(Timestamps.inRange(Timestamps.EARLIEST)).isTrue();
        assertThat(Timestamps.inRange(Timestamps.LATEST)).isTrue();
        assertThat(Timestamps.inRange(Timestamps.EARLIEST.minusNanos(1))).isFalse();
        assertThat(Timestamps.inRange(Timestamps.LATEST.plusNanos(1))).isFalse();
        assertThat(Timestamps.inRange(Instant.ofEpochMilli(Long.MIN_VALUE))).isFalse();
    }

    @Test
    void aSpanIsANumberAndAUnitOrIsoInWholeSecondsWithinItsBounds() {
        Duration min = Duration.ofMinutes(1);
        Duration max = Duration.ofDays(90);
        assertThat(Timestamps.span("window", "15m", min, max)).isEqualTo(Duration.ofMinutes(15));
        assertThat(Timestamps.span("window", "24h", min, max)).isEqualTo(Duration.ofHours(24));
        assertThat(Timestamps.span("window", "7d", min, max)).isEqualTo(Duration.ofDays(7));
        assertThat(Timestamps.span("window", "PT90S", min, max)).isEqualTo(Duration.ofSeconds(90));
        for (String bad : new String[]{"30s", "91d", "PT1M0.5S", "0m", "-5m", "5 m", "5w", "", "P1Y"}) {
            TwinException refused = catchThrowableOfType(() -> Timestamps.span("window", bad, min, max),
                    TwinException.class);
            assertThat(refused).as(bad).isNotNull();
            assertThat(refused.error().kind()).isEqualTo(ErrorKind.MALFORMED);
            assertThat(refused.error().path()).isEqualTo("window");
        }
    }
}
