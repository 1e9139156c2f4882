package io.twinplatform.history.computed;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Remaining useful life from a linear trend. The expected numbers are least squares worked out by hand (Python, plain
 * sums): slope = Sxy / Sxx, intercept = mean y - slope * mean x, R² = 1 - SSE / Syy, the slope's 95% half-width =
 * t(0.975, n - 2) * sqrt(SSE / (n - 2) / Sxx) with t(0.975, 10) = 2.228138851986274 and t(0.975, 8) =
 * 2.306004135204166 (from a t table), and a bound's crossing = mean x + (threshold - mean y) / (slope ± half-width).
 */
class RemainingUsefulLifeTest {

    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
    /** 2 + 0.5 h plus this noise, hourly for 12 hours: 2.1, 2.3, 3.05, 3.5, 3.9, 4.65, 4.95, 5.6, 5.85, 6.5, 7.05, 7.55. */
    private static final double[] NOISE = {0.1, -0.2, 0.05, 0.0, -0.1, 0.15, -0.05, 0.1, -0.15, 0.0, 0.05, 0.05};
    private static final Instant LAST = hoursAfter(11);

    @Test
    void predictsWhenARisingTrendReachesItsThreshold() {
        RulEstimate.Prediction prediction = predicted(RemainingUsefulLife.estimate(rising(), 12, Direction.RISING,
                LAST));

        // slope 0.5034965034965034 /h, intercept 1.9807692307692304: (12 - intercept) / slope = 19.89930555555556 h
        assertThat(prediction.slopePerHour()).isCloseTo(0.5034965034965034, within(1e-12));
        assertThat(prediction.failureAt()).isCloseTo(hoursAfter(19.89930555555556), within(1, ChronoUnit.MILLIS));
        assertThat(prediction.remainingHours()).isCloseTo(19.89930555555556 - 11, within(1e-9));
        // half-width 0.020685726431333547, mean point (5.5 h, 4.75): 5.5 + 7.25 / (slope + hw) and / (slope - hw)
        assertThat(prediction.earliest()).isCloseTo(hoursAfter(19.3310678730908), within(1, ChronoUnit.MILLIS));
        assertThat(prediction.latest()).isCloseTo(hoursAfter(20.516234815780415), within(1, ChronoUnit.MILLIS));
        assertThat(prediction.rSquared()).isCloseTo(0.9966116357868935, within(1e-12));
        assertThat(prediction.sampleCount()).isEqualTo(12);
    }

    @Test
    void predictsWhenAFallingTrendReachesItsThreshold() {
        List<Sample> falling = new ArrayList<>();
        for (int h = 0; h < NOISE.length; h++) {
            falling.add(new Sample(hoursAfter(h), 20 - (0.5 * h + NOISE[h])));
        }
        Collections.reverse(falling);

        RulEstimate.Prediction prediction = predicted(RemainingUsefulLife.estimate(falling, 8, Direction.FALLING,
                LAST));

        // the mirror image of the rising series: slope -0.5034965034965034, intercept 20.01923076923077,
        // (8 - intercept) / slope = 23.871527777777782 h; mean point (5.5 h, 17.25)
        assertThat(prediction.slopePerHour()).isCloseTo(-0.5034965034965034, within(1e-12));
        assertThat(prediction.failureAt()).isCloseTo(hoursAfter(23.871527777777782), within(1, ChronoUnit.MILLIS));
        assertThat(prediction.remainingHours()).isCloseTo(23.871527777777782 - 11, within(1e-9));
        // the steeper bound (slope - hw) crosses first: 5.5 + (8 - 17.25) / (slope - hw) = 23.146534872564125 h
        assertThat(prediction.earliest()).isCloseTo(hoursAfter(23.146534872564125), within(1, ChronoUnit.MILLIS));
        assertThat(prediction.latest()).isCloseTo(hoursAfter(24.658644420133633), within(1, ChronoUnit.MILLIS));
    }

    @Test
    void aNoisyTrendHasNoLatestCrossing() {
        double[] values = {5, 7, 4, 6, 8, 3, 7, 6, 9, 5.5};
        List<Sample> samples = new ArrayList<>();
        for (int h = 0; h < values.length; h++) {
            samples.add(new Sample(hoursAfter(h), values[h]));
        }

        RulEstimate.Prediction prediction = predicted(RemainingUsefulLife.estimate(samples, 20, Direction.RISING,
                hoursAfter(9)));

        // slope 0.1606060606060606, intercept 5.327272727272727: crossing at 91.35849056603773 h; half-width
        // 0.46724910352801724 (t(0.975, 8)) makes the lower bound -0.3066...: it never rises to 20
        assertThat(prediction.failureAt()).isCloseTo(hoursAfter(91.35849056603773), within(1, ChronoUnit.MILLIS));
        // 4.5 + (20 - 6.05) / (slope + hw) = 26.718500056839527 h
        assertThat(prediction.earliest()).isCloseTo(hoursAfter(26.718500056839527), within(1, ChronoUnit.MILLIS));
        assertThat(prediction.latest()).isNull();
        assertThat(prediction.rSquared()).isCloseTo(0.0728154081447493, within(1e-12));
    }

    @Test
    void aLatestValuePastTheThresholdLeavesNoRemainingLife() {
        // the latest value is 7.55, already above 7; the trend line crosses 7 at (7 - 1.98077) / 0.50350 = 9.97 h
        RulEstimate.Prediction prediction = predicted(RemainingUsefulLife.estimate(rising(), 7, Direction.RISING,
                hoursAfter(5)));

        assertThat(prediction.remainingHours()).isZero();
        assertThat(prediction.failureAt()).isBefore(LAST);
    }

    @Test
    void aCrossingBeforeNowLeavesNoRemainingLife() {
        RulEstimate.Prediction prediction = predicted(RemainingUsefulLife.estimate(rising(), 12, Direction.RISING,
                hoursAfter(30)));

        assertThat(prediction.remainingHours()).isZero();
    }

    @Test
    void aTrendAwayFromFailureIsNotDegrading() {
        assertThat(RemainingUsefulLife.estimate(rising(), 0, Direction.FALLING, LAST))
                .isEqualTo(new RulEstimate.NoPrediction("notDegrading", 12));
        List<Sample> flat = new ArrayList<>();
        for (int h = 0; h < 10; h++) {
            flat.add(new Sample(hoursAfter(h), 3));
        }
        assertThat(RemainingUsefulLife.estimate(flat, 5, Direction.RISING, LAST))
                .isEqualTo(new RulEstimate.NoPrediction("notDegrading", 10));
    }

    @Test
    void fewerSamplesThanTheMinimumPredictNothing() {
        List<Sample> nine = rising().subList(0, 9);

        assertThat(RemainingUsefulLife.estimate(nine, 12, Direction.RISING, LAST))
                .isEqualTo(new RulEstimate.NoPrediction("tooFewSamples", 9));
        assertThat(RemainingUsefulLife.estimate(nine, 12, Direction.RISING, LAST, 9))
                .isInstanceOf(RulEstimate.Prediction.class);
    }

    @Test
    void samplesAtOneInstantPredictNothing() {
        List<Sample> sameInstant = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sameInstant.add(new Sample(T0, i));
        }

        assertThat(RemainingUsefulLife.estimate(sameInstant, 12, Direction.RISING, LAST))
                .isEqualTo(new RulEstimate.NoPrediction("noTimeSpread", 10));
    }

    @Test
    void aCrossingCenturiesAwayIsBeyondTheHorizon() {
        List<Sample> creeping = new ArrayList<>();
        for (int h = 0; h < 10; h++) {
            creeping.add(new Sample(hoursAfter(h), 1 + 1e-9 * h));
        }

        assertThat(RemainingUsefulLife.estimate(creeping, 100, Direction.RISING, LAST))
                .isEqualTo(new RulEstimate.NoPrediction("beyondHorizon", 10));
    }

    @Test
    void refusesAMinimumBelowThreeAndANonFiniteThreshold() {
        assertThatThrownBy(() -> RemainingUsefulLife.estimate(rising(), 12, Direction.RISING, LAST, 2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RemainingUsefulLife.estimate(rising(), Double.NaN, Direction.RISING, LAST))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static List<Sample> rising() {
        List<Sample> samples = new ArrayList<>();
        for (int h = 0; h < NOISE.length; h++) {
            samples.add(new Sample(hoursAfter(h), 2 + 0.5 * h + NOISE[h]));
        }
        return samples;
    }

    private static RulEstimate.Prediction predicted(RulEstimate estimate) {
        assertThat(estimate).isInstanceOf(RulEstimate.Prediction.class);
        return (RulEstimate.Prediction) estimate;
    }

    private static Instant hoursAfter(double hours) {
        return T0.plusNanos(Math.round(hours * 3_600_000_000_000d));
    }
}
