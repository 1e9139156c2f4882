package io.twinplatform.history.computed;

import org.apache.commons.math3.stat.regression.SimpleRegression;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;

/**
 * The least-squares line of a series' value against time, time measured in hours from an origin instant (the
 * earliest sample), so that a slope reads as units per hour. Shared by the rate of change and the remaining useful
 * life so that both mean the same line.
 */
final class Trend {

    private static final double NANOS_PER_HOUR = 3_600_000_000_000d;

    private final Instant origin;
    private final SimpleRegression regression;
    private final boolean spread;
    private final double meanHours;
    private final double meanValue;

    private Trend(Instant origin, SimpleRegression regression, boolean spread, double meanHours, double meanValue) {
        this.origin = origin;
        this.regression = regression;
        this.spread = spread;
        this.meanHours = meanHours;
        this.meanValue = meanValue;
    }

    /** Fits {@code samples} (any order); an empty collection fits nothing ({@link #defined()} is false). */
    static Trend fit(Collection<Sample> samples) {
        Instant origin = samples.stream().map(Sample::ts).min(Instant::compareTo).orElse(Instant.EPOCH);
        SimpleRegression regression = new SimpleRegression(true);
        boolean spread = false;
        double sumHours = 0;
        double sumValues = 0;
        for (Sample sample : samples) {
            double hours = hours(origin, sample.ts());
            regression.addData(hours, sample.value());
            spread |= !sample.ts().equals(origin);
            sumHours += hours;
            sumValues += sample.value();
        }
        int n = samples.size();
        return new Trend(origin, regression, spread, n == 0 ? Double.NaN : sumHours / n,
                n == 0 ? Double.NaN : sumValues / n);
    }

    /** Whether a line exists: at least two samples, not all at one instant. */
    boolean defined() {
        return spread && regression.getN() >= 2;
    }

    long count() {
        return regression.getN();
    }

    /** The mean time of the samples, in hours from the origin: where every least-squares line passes. */
    double meanHours() {
        return meanHours;
    }

    /** The mean value of the samples. */
    double meanValue() {
        return meanValue;
    }

    Instant origin() {
        return origin;
    }

    SimpleRegression regression() {
        return regression;
    }

    static double hours(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / NANOS_PER_HOUR;
    }
}
