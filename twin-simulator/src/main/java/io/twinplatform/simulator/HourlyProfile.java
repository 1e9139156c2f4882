package io.twinplatform.simulator;

import org.apache.commons.math3.stat.descriptive.StatisticalSummary;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Telemetry learned from recorded samples ({@code simulate --learn-from}): per series and per UTC hour of the day, the
 * samples' mean and standard deviation (the sample deviation, n - 1; 0 for a single sample). A sample follows the
 * hour's mean with Gaussian noise of the hour's deviation; an hour without recorded samples falls back to the
 * series' statistics over all hours. Immutable once learned.
 */
final class HourlyProfile implements TelemetryModel {

    /** One recorded sample, as {@code GET /twins/{id}/telemetry/samples} answers it. */
    record Sample(Instant ts, String name, double value) {
    }

    /** One series: its 24 hours (null where nothing was recorded) and all of them together. */
    private record Series(StatisticalSummary[] hours, StatisticalSummary all) {
    }

    private final Map<String, Series> series;

    private HourlyProfile(Map<String, Series> series) {
        this.series = series;
    }

    /** The profile of {@code samples}, pooled over whichever devices recorded them; series in name order. */
    static HourlyProfile learn(Iterable<Sample> samples) {
        Map<String, SummaryStatistics[]> hours = new TreeMap<>();
        Map<String, SummaryStatistics> all = new TreeMap<>();
        for (Sample sample : samples) {
            int hour = sample.ts().atZone(ZoneOffset.UTC).getHour();
            hours.computeIfAbsent(sample.name(), name -> new SummaryStatistics[24]);
            SummaryStatistics[] byHour = hours.get(sample.name());
            if (byHour[hour] == null) {
                byHour[hour] = new SummaryStatistics();
            }
            byHour[hour].addValue(sample.value());
            all.computeIfAbsent(sample.name(), name -> new SummaryStatistics()).addValue(sample.value());
        }
        Map<String, Series> learned = new TreeMap<>();
        hours.forEach((name, byHour) -> {
            StatisticalSummary[] frozen = new StatisticalSummary[24];
            for (int h = 0; h < 24; h++) {
                frozen[h] = byHour[h] == null ? null : byHour[h].getSummary();
            }
            learned.put(name, new Series(frozen, all.get(name).getSummary()));
        });
        return new HourlyProfile(learned);
    }

    boolean isEmpty() {
        return series.isEmpty();
    }

    /** How many samples the series was learned from. */
    long count(String name) {
        return series.get(name).all().getN();
    }

    @Override
    public List<String> series() {
        return new ArrayList<>(series.keySet());
    }

    @Override
    public double expected(String name, Instant at) {
        return summary(name, at).getMean();
    }

    @Override
    public double deviation(String name, Instant at) {
        double deviation = summary(name, at).getStandardDeviation();
        return Double.isNaN(deviation) ? 0 : deviation;
    }

    /** The statistics of the series' hour of {@code at} (UTC), else of all its hours. */
    StatisticalSummary summary(String name, Instant at) {
        Series learned = series.get(name);
        if (learned == null) {
            throw new IllegalArgumentException("no series " + name + " was learned");
        }
        StatisticalSummary hour = learned.hours()[at.atZone(ZoneOffset.UTC).getHour()];
        return hour != null ? hour : learned.all();
    }
}
