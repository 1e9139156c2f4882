package io.twinplatform.history.computed;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The statistics of one window, against values worked out by hand. */
class WindowStatisticsTest {

    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    /** 10, 12, 11, 15, 17 every 15 minutes over one hour, given out of order. */
    private static final List<Sample> WINDOW = List.of(
            sample(30, 11), sample(0, 10), sample(15, 12), sample(60, 17), sample(45, 15));

    @Test
    void summarisesAWindow() {
        WindowStatistics stats = WindowStatistics.of(WINDOW);

        assertThat(stats.count()).isEqualTo(5);
        // (10 + 12 + 11 + 15 + 17) / 5 = 65 / 5
        assertThat(stats.mean()).hasValue(13.0);
        assertThat(stats.min()).hasValue(10.0);
        assertThat(stats.max()).hasValue(17.0);
    }

    @Test
    void interpolatesPercentilesBetweenClosestRanks() {
        WindowStatistics stats = WindowStatistics.of(WINDOW);

        // R-7 over the sorted 10, 11, 12, 15, 17: position (n - 1) * p / 100.
        // p = 95: 4 * 0.95 = 3.8, so 15 + 0.8 * (17 - 15) = 16.6
        assertThat(stats.percentile(95).getAsDouble()).isCloseTo(16.6, within(1e-12));
        // p = 50: position 2, the middle value
        assertThat(stats.percentile(50)).hasValue(12.0);
        // p = 10: 4 * 0.1 = 0.4, so 10 + 0.4 * (11 - 10) = 10.4
        assertThat(stats.percentile(10).getAsDouble()).isCloseTo(10.4, within(1e-12));
        assertThat(stats.percentile(100)).hasValue(17.0);
    }

    @Test
    void measuresTheRateOfChangePerHour() {
        WindowStatistics stats = WindowStatistics.of(WINDOW);

        // Least squares over x = 0, 0.25, 0.5, 0.75, 1 h and y = 10, 12, 11, 15, 17: mean x 0.5, mean y 13,
        // Sxy = (-0.5)(-3) + (-0.25)(-1) + 0 + 0.25 * 2 + 0.5 * 4 = 4.25, Sxx = 0.625, slope = 4.25 / 0.625 = 6.8
        assertThat(stats.ratePerHour().getAsDouble()).isCloseTo(6.8, within(1e-9));
    }

    @Test
    void anEmptyWindowHasACountOfZeroAndNothingElse() {
        WindowStatistics stats = WindowStatistics.of(List.of());

        assertThat(stats.count()).isZero();
        assertThat(stats.mean()).isEmpty();
        assertThat(stats.min()).isEmpty();
        assertThat(stats.max()).isEmpty();
        assertThat(stats.percentile(95)).isEmpty();
        assertThat(stats.ratePerHour()).isEmpty();
    }

    @Test
    void oneSampleHasNoRateOfChange() {
        WindowStatistics stats = WindowStatistics.of(List.of(sample(0, 4)));

        assertThat(stats.mean()).hasValue(4.0);
        assertThat(stats.percentile(95)).hasValue(4.0);
        assertThat(stats.ratePerHour()).isEmpty();
    }

    @Test
    void samplesAtOneInstantHaveNoRateOfChange() {
        WindowStatistics stats = WindowStatistics.of(List.of(sample(5, 1), sample(5, 3)));

        assertThat(stats.mean()).hasValue(2.0);
        assertThat(stats.ratePerHour()).isEmpty();
    }

    @Test
    void refusesAPercentileOutsideZeroToHundred() {
        WindowStatistics stats = WindowStatistics.of(WINDOW);

        assertThatThrownBy(() -> stats.percentile(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> stats.percentile(100.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> stats.percentile(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSampleIsFinite() {
        assertThatThrownBy(() -> new Sample(T0, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Sample(T0, Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static Sample sample(int minutes, double value) {
        return new Sample(T0.plusSeconds(60L * minutes), value);
    }
}
