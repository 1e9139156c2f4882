package io.twinplatform.history.computed;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The hour-of-day baseline and its robust score, against medians and MADs worked out by hand. */
class HourlyBaselineTest {

    private static final Instant DAY0 = Instant.parse("2026-11-20T00:00:00Z");
    /** Hour 3's baseline over ten days. Sorted 17, 18, 19, 20, 20, 20, 20, 21, 22, 23: median (20 + 20) / 2 = 20. */
    private static final double[] HOUR3 = {20, 21, 19, 22, 18, 20, 20, 23, 17, 20};

    @Test
    void learnsTheMedianAndMadOfEachHour() {
        HourlyBaseline baseline = HourlyBaseline.learn(baseline());

        HourProfile hour3 = baseline.hour(3);
        assertThat(hour3.count()).isEqualTo(10);
        assertThat(hour3.median()).isEqualTo(20.0);
        // |x - 20| sorted: 0, 0, 0, 0, 1, 1, 2, 2, 3, 3: median (1 + 1) / 2 = 1
        assertThat(hour3.mad()).isEqualTo(1.0);
        assertThat(baseline.hour(4).count()).isEqualTo(9);
        assertThat(baseline.hour(0).count()).isZero();
    }

    @Test
    void scoresTheDistanceFromTheHoursMedianInScaledMads() {
        HourlyBaseline baseline = HourlyBaseline.learn(baseline());

        // |26 - 20| / (1.4826 * 1) = 6 / 1.4826 = 4.046944556859572
        assertThat(baseline.score(at(30, 3, 17), 26).getAsDouble()).isCloseTo(4.046944556859572, within(1e-12));
        // the same distance below the median scores the same
        assertThat(baseline.score(at(30, 3, 59), 14).getAsDouble()).isCloseTo(4.046944556859572, within(1e-12));
        assertThat(baseline.score(at(30, 3, 0), 20)).hasValue(0.0);
    }

    @Test
    void anHourWithTooFewSamplesHasNoScore() {
        HourlyBaseline baseline = HourlyBaseline.learn(baseline());

        assertThat(baseline.score(at(30, 4, 0), 100)).isEmpty();
        assertThat(baseline.score(at(30, 0, 0), 100)).isEmpty();
    }

    @Test
    void theMinimumOfSamplesIsConfigurable() {
        HourlyBaseline baseline = HourlyBaseline.learn(baseline(), 9);

        // hour 4: nine samples of 7, so its median is 7 and its MAD 0 (floored, see the constant baseline test)
        assertThat(baseline.score(at(30, 4, 0), 7)).hasValue(0.0);
        assertThat(baseline.score(at(30, 4, 0), 8).getAsDouble()).isGreaterThan(1e6);
    }

    @Test
    void aConstantBaselineScoresItsOwnValueZeroAndAnyOtherLargeButFinite() {
        List<Sample> samples = new ArrayList<>();
        for (int day = 0; day < 10; day++) {
            samples.add(new Sample(at(day, 5, 0), 50));
            samples.add(new Sample(at(day, 6, 0), 0));
        }
        HourlyBaseline baseline = HourlyBaseline.learn(samples);

        assertThat(baseline.hour(5).mad()).isZero();
        assertThat(baseline.score(at(30, 5, 0), 50)).hasValue(0.0);
        // MAD floored at 1e-9 * |50| = 5e-8: 1 / (1.4826 * 5e-8) = 13489815.189531906
        assertThat(baseline.score(at(30, 5, 0), 51).getAsDouble()).isCloseTo(13489815.189531906, within(1e-3));
        // a median of 0 takes the absolute floor 1e-9: 1 / (1.4826 * 1e-9) = 674490759.4765952
        assertThat(baseline.score(at(30, 6, 0), 1).getAsDouble()).isCloseTo(674490759.4765952, within(1e-1));
        assertThat(baseline.score(at(30, 6, 0), 1e300)).hasValue(Double.MAX_VALUE);
    }

    @Test
    void refusesAMinimumBelowOneAndANonFiniteValue() {
        assertThatThrownBy(() -> HourlyBaseline.learn(List.of(), 0)).isInstanceOf(IllegalArgumentException.class);
        HourlyBaseline baseline = HourlyBaseline.learn(baseline());
        assertThatThrownBy(() -> baseline.score(at(30, 3, 0), Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Hour 3 of ten days ({@link #HOUR3}, at minute 10) and hour 4 of nine days (7 each). */
    private static List<Sample> baseline() {
        List<Sample> samples = new ArrayList<>();
        for (int day = 0; day < HOUR3.length; day++) {
            samples.add(new Sample(at(day, 3, 10), HOUR3[day]));
        }
        for (int day = 0; day < 9; day++) {
            samples.add(new Sample(at(day, 4, 0), 7));
        }
        return samples;
    }

    private static Instant at(int day, int hour, int minute) {
        return DAY0.plus(Duration.ofDays(day).plusHours(hour).plusMinutes(minute));
    }
}
