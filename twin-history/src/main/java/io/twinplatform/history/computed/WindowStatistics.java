package io.twinplatform.history.computed;

import org.apache.commons.math3.stat.descriptive.SummaryStatistics;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.apache.commons.math3.stat.descriptive.rank.Percentile.EstimationType;

import java.util.Collection;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The statistics of the samples of one window: count, mean, minimum, maximum, a percentile and the rate of change.
 * An empty window has a count of 0 and no other value (each accessor answers empty), never a made-up 0.
 *
 * <p>Percentiles use Commons Math's {@link EstimationType#R_7} estimation: linear interpolation between the closest
 * ranks at position {@code (n - 1) * p / 100} of the sorted values, the default of R, NumPy and spreadsheets'
 * {@code PERCENTILE.INC}, so an operator can check a value by hand. Commons Math's own default ({@code LEGACY})
 * is not used: it interpolates at {@code (n + 1) * p / 100} and pins every p above {@code n / (n + 1)} to the
 * maximum.
 */
public final class WindowStatistics {

    private final double[] values;
    private final SummaryStatistics summary;
    private final Trend trend;

    private WindowStatistics(double[] values, SummaryStatistics summary, Trend trend) {
        this.values = values;
        this.summary = summary;
        this.trend = trend;
    }

    /** The statistics of {@code samples}, in any order; the collection is read once and not kept. */
    public static WindowStatistics of(Collection<Sample> samples) {
        List<Sample> copy = List.copyOf(samples);
        double[] values = new double[copy.size()];
        SummaryStatistics summary = new SummaryStatistics();
        for (int i = 0; i < values.length; i++) {
            values[i] = copy.get(i).value();
            summary.addValue(values[i]);
        }
        return new WindowStatistics(values, summary, Trend.fit(copy));
    }

    public long count() {
        return summary.getN();
    }

    public OptionalDouble mean() {
        return count() == 0 ? OptionalDouble.empty() : OptionalDouble.of(summary.getMean());
    }

    public OptionalDouble min() {
        return count() == 0 ? OptionalDouble.empty() : OptionalDouble.of(summary.getMin());
    }

    public OptionalDouble max() {
        return count() == 0 ? OptionalDouble.empty() : OptionalDouble.of(summary.getMax());
    }

    /**
     * The {@code p}th percentile (R-7 estimation, see the class comment); empty for an empty window.
     *
     * @throws IllegalArgumentException unless {@code 0 < p <= 100}
     */
    public OptionalDouble percentile(double p) {
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("a percentile is above 0 and at most 100, not " + p);
        }
        return count() == 0 ? OptionalDouble.empty() : OptionalDouble.of(percentileOf(values, p));
    }

    /**
     * The least-squares slope of value against time, in units per hour; empty with fewer than two samples or when
     * all samples share one instant (no time passed, so no rate).
     */
    public OptionalDouble ratePerHour() {
        return trend.defined() ? OptionalDouble.of(trend.regression().getSlope()) : OptionalDouble.empty();
    }

    /** The R-7 percentile of {@code values} (not empty), shared with the baseline's medians. */
    static double percentileOf(double[] values, double p) {
        return new Percentile().withEstimationType(EstimationType.R_7).evaluate(values, p);
    }
}
