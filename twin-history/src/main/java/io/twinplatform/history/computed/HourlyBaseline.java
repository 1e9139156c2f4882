package io.twinplatform.history.computed;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.OptionalDouble;

/**
 * A series' normal behaviour per UTC hour of day, and how far a new value is from it: a robust z-score
 * {@code |value - median(hour)| / (1.4826 * MAD(hour))}. Median and MAD (median absolute deviation) are used instead
 * of mean and standard deviation so that the anomalies in the baseline itself do not widen what counts as normal;
 * 1.4826 scales MAD to a standard deviation for normally distributed data, so a score reads like a z-score.
 *
 * <p>An hour with fewer than {@code minSamples} baseline samples (default {@value #DEFAULT_MIN_SAMPLES}) has no
 * score: too little is known to call a value unusual. A MAD of 0 (a constant baseline, or more than half its values
 * equal) would divide by zero, so the MAD is floored at {@code max(1e-9 * |median|, 1e-9)}: relative to the median so
 * the floor means the same for a series near 1e6 as near 1, absolute so it is not 0 for a median of 0. Then the
 * baseline's own value scores 0 and any other value scores large but finite (a score that would overflow is
 * {@link Double#MAX_VALUE}).
 */
public final class HourlyBaseline {

    /** The fewest baseline samples an hour needs before it scores anything. */
    public static final int DEFAULT_MIN_SAMPLES = 10;
    /** Scales a MAD to the standard deviation of normally distributed data. */
    public static final double MAD_TO_SIGMA = 1.4826;
    /** The floor of a MAD, relative to the hour's median and absolute (see the class comment). */
    public static final double MAD_FLOOR = 1e-9;

    private final List<HourProfile> hours;
    private final int minSamples;

    private HourlyBaseline(List<HourProfile> hours, int minSamples) {
        this.hours = hours;
        this.minSamples = minSamples;
    }

    /** Learns from {@code samples} with the default minimum of {@value #DEFAULT_MIN_SAMPLES} samples an hour. */
    public static HourlyBaseline learn(Collection<Sample> samples) {
        return learn(samples, DEFAULT_MIN_SAMPLES);
    }

    /**
     * Learns the median and MAD of each UTC hour of day from {@code samples} (any order, usually several days).
     *
     * @throws IllegalArgumentException when {@code minSamples} is below 1
     */
    public static HourlyBaseline learn(Collection<Sample> samples, int minSamples) {
        if (minSamples < 1) {
            throw new IllegalArgumentException("minSamples is at least 1, not " + minSamples);
        }
        List<List<Double>> byHour = new ArrayList<>(24);
        for (int h = 0; h < 24; h++) {
            byHour.add(new ArrayList<>());
        }
        for (Sample sample : samples) {
            byHour.get(hourOf(sample.ts())).add(sample.value());
        }
        List<HourProfile> hours = new ArrayList<>(24);
        for (int h = 0; h < 24; h++) {
            hours.add(profile(h, byHour.get(h)));
        }
        return new HourlyBaseline(List.copyOf(hours), minSamples);
    }

    /** What was learnt for {@code hour} (0 to 23, UTC). */
    public HourProfile hour(int hour) {
        return hours.get(hour);
    }

    /**
     * How unusual {@code value} is at {@code ts}, against the baseline of {@code ts}'s UTC hour; empty when that hour
     * has fewer than the minimum of samples.
     *
     * @throws IllegalArgumentException when {@code value} is NaN or infinite
     */
    public OptionalDouble score(Instant ts, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("a scored value is finite, not " + value);
        }
        HourProfile profile = hours.get(hourOf(ts));
        if (profile.count() < minSamples) {
            return OptionalDouble.empty();
        }
        double mad = Math.max(profile.mad(), MAD_FLOOR * Math.max(Math.abs(profile.median()), 1));
        double score = Math.abs(value - profile.median()) / (MAD_TO_SIGMA * mad);
        return OptionalDouble.of(Double.isInfinite(score) ? Double.MAX_VALUE : score);
    }

    private static HourProfile profile(int hour, List<Double> values) {
        if (values.isEmpty()) {
            return new HourProfile(hour, 0, Double.NaN, Double.NaN);
        }
        double[] data = values.stream().mapToDouble(Double::doubleValue).toArray();
        double median = WindowStatistics.percentileOf(data, 50);
        double[] deviations = new double[data.length];
        for (int i = 0; i < data.length; i++) {
            deviations[i] = Math.abs(data[i] - median);
        }
        return new HourProfile(hour, data.length, median, WindowStatistics.percentileOf(deviations, 50));
    }

    private static int hourOf(Instant ts) {
        return ts.atOffset(ZoneOffset.UTC).getHour();
    }
}
