package io.twinplatform.history.computed;

import org.apache.commons.math3.stat.regression.SimpleRegression;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.Objects;

/**
 * Remaining useful life from a linear degradation trend: the least-squares line of value against time (in hours)
 * over the samples, and the instant it reaches a failure threshold.
 *
 * <p>The confidence interval of that instant comes from the 95% confidence interval of the slope
 * ({@link SimpleRegression#getSlopeConfidenceInterval()}, Student's t with n - 2 degrees of freedom): the fitted line
 * is held through the mean point (mean time, mean value), which every least-squares line passes through, and turned
 * to each bound of the slope. This leaves out the uncertainty of the intercept, so the interval is narrower than a
 * full prediction band; it is a measure of how sure the trend's speed is, which is what a maintenance planner reads.
 */
public final class RemainingUsefulLife {

    /** The fewest samples a prediction needs unless told otherwise. */
    public static final int DEFAULT_MIN_SAMPLES = 10;
    /** How far past the latest sample a crossing may lie and still be a prediction: 100 years of 365.25 days. */
    public static final double HORIZON_HOURS = 100 * 365.25 * 24;

    private static final double NANOS_PER_HOUR = 3_600_000_000_000d;

    private RemainingUsefulLife() {
    }

    /** {@link #estimate(Collection, double, Direction, Instant, int)} with {@value #DEFAULT_MIN_SAMPLES} samples. */
    public static RulEstimate estimate(Collection<Sample> samples, double threshold, Direction direction,
                                       Instant now) {
        return estimate(samples, threshold, direction, now, DEFAULT_MIN_SAMPLES);
    }

    /**
     * Fits the trend of {@code samples} (any order) and predicts when it reaches {@code threshold}.
     *
     * @param now        what the remaining hours are counted from
     * @param minSamples the fewest samples to predict from; at least 3 (a slope's confidence interval needs one
     *                   degree of freedom)
     * @throws IllegalArgumentException when {@code threshold} is not finite or {@code minSamples} is below 3
     */
    public static RulEstimate estimate(Collection<Sample> samples, double threshold, Direction direction,
                                       Instant now, int minSamples) {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(now, "now");
        if (!Double.isFinite(threshold)) {
            throw new IllegalArgumentException("a threshold is finite, not " + threshold);
        }
        if (minSamples < 3) {
            throw new IllegalArgumentException("minSamples is at least 3, not " + minSamples);
        }
        Trend trend = Trend.fit(samples);
        if (trend.count() < minSamples) {
            return new RulEstimate.NoPrediction("tooFewSamples", trend.count());
        }
        if (!trend.defined()) {
            return new RulEstimate.NoPrediction("noTimeSpread", trend.count());
        }
        SimpleRegression fit = trend.regression();
        double slope = fit.getSlope();
        if (!direction.degrading(slope)) {
            return new RulEstimate.NoPrediction("notDegrading", trend.count());
        }
        Sample last = samples.stream().max(Comparator.comparing(Sample::ts)).orElseThrow();
        double lastHours = Trend.hours(trend.origin(), last.ts());
        double crossing = (threshold - fit.getIntercept()) / slope;
        if (Math.abs(crossing - lastHours) > HORIZON_HOURS) {
            return new RulEstimate.NoPrediction("beyondHorizon", trend.count());
        }
        Instant failureAt = at(trend.origin(), crossing);
        double remaining = direction.crossed(last.value(), threshold) ? 0
                : Math.max(0, Trend.hours(now, failureAt));

        double meanHours = trend.meanHours();
        double meanValue = trend.meanValue();
        double halfWidth = fit.getSlopeConfidenceInterval();
        Double steep = boundCrossing(direction, slope + (direction == Direction.RISING ? halfWidth : -halfWidth),
                meanHours, meanValue, threshold);
        Double shallow = boundCrossing(direction, slope - (direction == Direction.RISING ? halfWidth : -halfWidth),
                meanHours, meanValue, threshold);
        Double earliest;
        Double latest;
        if (steep != null && shallow != null) {
            earliest = Math.min(steep, shallow);
            latest = Math.max(steep, shallow);
        } else if (direction.crossed(meanValue, threshold)) {
            // The mean point is already past the threshold: the steep bound crosses shortly before it, while the
            // bound that does not degrade reaches back without limit.
            earliest = null;
            latest = steep;
        } else {
            // The crossing lies ahead: the steep bound gives the earliest; the other never gets there.
            earliest = steep;
            latest = null;
        }
        return new RulEstimate.Prediction(failureAt, remaining, bounded(trend.origin(), earliest, lastHours),
                bounded(trend.origin(), latest, lastHours), slope, fit.getRSquare(), fit.getN());
    }

    /** Where the line through the mean point with {@code slope} crosses; null when that slope does not degrade. */
    private static Double boundCrossing(Direction direction, double slope, double meanHours, double meanValue,
                                        double threshold) {
        return direction.degrading(slope) ? meanHours + (threshold - meanValue) / slope : null;
    }

    private static Instant bounded(Instant origin, Double hours, double lastHours) {
        if (hours == null || hours - lastHours > HORIZON_HOURS || lastHours - hours > HORIZON_HOURS) {
            return null;
        }
        return at(origin, hours);
    }

    private static Instant at(Instant origin, double hours) {
        return origin.plus(Duration.ofNanos(Math.round(hours * NANOS_PER_HOUR)));
    }
}
