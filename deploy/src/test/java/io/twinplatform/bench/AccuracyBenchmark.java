package io.twinplatform.bench;

import io.twinplatform.history.computed.AlertHysteresis;
import io.twinplatform.history.computed.Direction;
import io.twinplatform.history.computed.HourlyBaseline;
import io.twinplatform.history.computed.RemainingUsefulLife;
import io.twinplatform.history.computed.RulEstimate;
import io.twinplatform.history.computed.Sample;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * How far the computed attributes' models can be trusted (docs/predictive.md, "Accuracy, measured"): simulated
 * fleets with injected ground truth, fed sample by sample to the classes the platform computes with, as its engine
 * feeds them (each new sample ends the window; the hourly baseline is learned again every hour). No platform runs
 * here: the path from MQTT to a stored value is tested end to end in {@code ComputedAttributesTest}.
 *
 * <p>Every device sends a vibration sample every 10 minutes for {@code bench.days} days (default 14): a level of 1.0,
 * a daily cycle of amplitude 0.3, Gaussian noise of 0.1. A third of the fleet stays healthy, with {@code bench.spikes}
 * spikes (default 5) of {@code bench.spike-sigmas} (default 8) noise deviations at known instants after the first
 * week; a third degrades linearly and a third exponentially (e^(3u) over the degradation), from an onset on day 7 to
 * 10, reaching the failure threshold 11 at a known instant 3 to 6 days later, where its series ends.
 *
 * <p>Measured: remaining useful life (window 48 h, at least 10 samples, threshold 11 rising) against the true
 * remaining hours, its 95% interval's coverage, and an alert below 24 h (clearing above 48 h): how early it fires
 * before failure and how often it fires on healthy devices; the anomaly score (window 1 h, baseline 7 days, at least
 * 10 samples per hour) above {@code bench.anomaly-above} (default 3, clearing 1 lower): precision and recall against
 * the spikes, and false alerts per
 * device-day on healthy devices. Deterministic for {@code bench.seed}. Run: {@code ./mvnw -Pbench -DskipTests -pl
 * deploy -am verify -Dbench.main=io.twinplatform.bench.AccuracyBenchmark}.
 */
public final class AccuracyBenchmark {

    private static final int DEVICES = Integer.getInteger("bench.devices", 300);
    private static final int DAYS = Integer.getInteger("bench.days", 14);
    private static final long SEED = Long.getLong("bench.seed", 7);
    private static final int SPIKES = Integer.getInteger("bench.spikes", 5);
    private static final double SPIKE_SIGMAS = Double.parseDouble(System.getProperty("bench.spike-sigmas", "8"));

    private static final Instant START = Instant.parse("2026-01-05T00:00:00Z");
    private static final Duration STEP = Duration.ofMinutes(10);
    private static final double LEVEL = 1.0;
    private static final double CYCLE = 0.3;
    private static final double NOISE = 0.1;
    private static final double THRESHOLD = 11.0;
    private static final Duration RUL_WINDOW = Duration.ofHours(48);
    private static final Duration ANOMALY_WINDOW = Duration.ofHours(1);
    private static final int BASELINE_DAYS = 7;
    private static final int MIN_SAMPLES = 10;
    private static final AlertHysteresis RUL_ALERT = new AlertHysteresis(AlertHysteresis.Side.BELOW, 24, 48);
    private static final double ANOMALY_RAISE = Double.parseDouble(System.getProperty("bench.anomaly-above", "3"));
    private static final AlertHysteresis ANOMALY_ALERT = new AlertHysteresis(AlertHysteresis.Side.ABOVE,
            ANOMALY_RAISE, ANOMALY_RAISE - 1);

    private enum Kind { HEALTHY, LINEAR, EXPONENTIAL }

    /** One simulated device: its series and its ground truth. */
    private record Device(Kind kind, List<Sample> series, Instant onset, Instant failure, Set<Instant> spikes) {
    }

    private AccuracyBenchmark() {
    }

    public static void main(String[] args) {
        System.out.printf(Locale.ROOT, "machine: %d cores, Java %s; %d devices, %d days, a sample every %d min, seed %d%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), DEVICES, DAYS,
                STEP.toMinutes(), SEED);
        SplittableRandom random = new SplittableRandom(SEED);
        List<Device> fleet = new ArrayList<>();
        for (int i = 0; i < DEVICES; i++) {
            fleet.add(device(Kind.values()[i % 3], random.split()));
        }
        long started = System.nanoTime();
        for (Kind kind : List.of(Kind.LINEAR, Kind.EXPONENTIAL)) {
            remainingLife(fleet.stream().filter(d -> d.kind() == kind).toList(), kind);
        }
        List<Device> healthy = fleet.stream().filter(d -> d.kind() == Kind.HEALTHY).toList();
        falseLifeAlerts(healthy);
        anomalies(healthy);
        System.out.printf(Locale.ROOT, "took %.1f s%n", (System.nanoTime() - started) / 1e9);
    }

    private static Device device(Kind kind, SplittableRandom random) {
        Instant end = START.plus(Duration.ofDays(DAYS));
        Instant onset = kind == Kind.HEALTHY ? null
                : START.plus(Duration.ofMinutes(random.nextLong(7 * 1440, 10 * 1440)));
        Instant failure = onset == null ? null : onset.plus(Duration.ofMinutes(random.nextLong(3 * 1440, 6 * 1440)));
        if (failure != null && failure.isAfter(end)) {
            failure = end;
        }
        Set<Instant> spikes = new HashSet<>();
        if (kind == Kind.HEALTHY) {
            long firstStep = Duration.ofDays(8).dividedBy(STEP);
            long steps = Duration.ofDays(DAYS).dividedBy(STEP);
            while (spikes.size() < SPIKES) {
                spikes.add(START.plus(STEP.multipliedBy(random.nextLong(firstStep, steps))));
            }
        }
        List<Sample> series = new ArrayList<>();
        for (Instant t = START; t.isBefore(end) && (failure == null || !t.isAfter(failure)); t = t.plus(STEP)) {
            double hours = Duration.between(START, t).toMinutes() / 60.0;
            double value = LEVEL + CYCLE * Math.sin(2 * Math.PI * hours / 24) + NOISE * gaussian(random);
            if (onset != null && t.isAfter(onset)) {
                double u = Duration.between(onset, t).toMinutes() / (double) Duration.between(onset, failure).toMinutes();
                double rise = kind == Kind.LINEAR ? u : (Math.exp(3 * u) - 1) / (Math.exp(3) - 1);
                value += (THRESHOLD - LEVEL) * rise;
            }
            if (spikes.contains(t)) {
                value += SPIKE_SIGMAS * NOISE;
            }
            series.add(new Sample(t, value));
        }
        return new Device(kind, series, onset, failure, spikes);
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller, from the seeded generator, so the fleet is the same for a seed.
        double u1 = 1 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    private static void remainingLife(List<Device> devices, Kind kind) {
        DescriptiveStatistics errorsLast72 = new DescriptiveStatistics();
        DescriptiveStatistics errorsAll = new DescriptiveStatistics();
        DescriptiveStatistics leads = new DescriptiveStatistics();
        long points = 0;
        long predicted = 0;
        long covered = 0;
        int missed = 0;
        for (Device device : devices) {
            Deque<Sample> window = new ArrayDeque<>();
            boolean raised = false;
            Instant firstRaise = null;
            for (Sample sample : device.series()) {
                window.addLast(sample);
                while (!window.getFirst().ts().isAfter(sample.ts().minus(RUL_WINDOW))) {
                    window.removeFirst();
                }
                if (!sample.ts().isAfter(device.onset())) {
                    continue;
                }
                points++;
                RulEstimate estimate = RemainingUsefulLife.estimate(window, THRESHOLD, Direction.RISING, sample.ts(),
                        MIN_SAMPLES);
                if (!(estimate instanceof RulEstimate.Prediction prediction)) {
                    continue;
                }
                predicted++;
                double truth = Duration.between(sample.ts(), device.failure()).toMinutes() / 60.0;
                double error = Math.abs(prediction.remainingHours() - truth);
                errorsAll.addValue(error);
                if (truth <= 72) {
                    errorsLast72.addValue(error);
                }
                boolean afterEarliest = prediction.earliest() == null || !device.failure().isBefore(prediction.earliest());
                boolean beforeLatest = prediction.latest() == null || !device.failure().isAfter(prediction.latest());
                if (afterEarliest && beforeLatest) {
                    covered++;
                }
                switch (RUL_ALERT.next(raised, prediction.remainingHours())) {
                    case RAISE -> {
                        raised = true;
                        if (firstRaise == null) {
                            firstRaise = sample.ts();
                        }
                    }
                    case CLEAR -> raised = false;
                    case NONE -> {
                    }
                }
            }
            if (firstRaise == null) {
                missed++;
            } else {
                leads.addValue(Duration.between(firstRaise, device.failure()).toMinutes() / 60.0);
            }
        }
        System.out.printf(Locale.ROOT, "%n%s degradation, %d devices, %d samples after onset, a prediction for %.1f%%%n",
                kind.name().toLowerCase(Locale.ROOT), devices.size(), points, 100.0 * predicted / points);
        System.out.printf(Locale.ROOT, "  RUL mean absolute error: %.1f h over the last 72 h before failure (median %.1f,"
                        + " p90 %.1f), %.1f h over the whole degradation%n", errorsLast72.getMean(),
                errorsLast72.getPercentile(50), errorsLast72.getPercentile(90), errorsAll.getMean());
        System.out.printf(Locale.ROOT, "  failure instant inside the 95%% interval: %.1f%% of predictions%n",
                100.0 * covered / predicted);
        System.out.printf(Locale.ROOT, "  alert (RUL below 24 h) fired before failure on %d of %d devices; lead time"
                        + " median %.1f h, min %.1f h, max %.1f h%n", devices.size() - missed, devices.size(),
                leads.getPercentile(50), leads.getMin(), leads.getMax());
    }

    private static void falseLifeAlerts(List<Device> healthy) {
        long raises = 0;
        double deviceDays = 0;
        for (Device device : healthy) {
            Deque<Sample> window = new ArrayDeque<>();
            boolean raised = false;
            Instant from = START.plus(RUL_WINDOW);
            for (Sample sample : device.series()) {
                window.addLast(sample);
                while (!window.getFirst().ts().isAfter(sample.ts().minus(RUL_WINDOW))) {
                    window.removeFirst();
                }
                if (sample.ts().isBefore(from)) {
                    continue;
                }
                RulEstimate estimate = RemainingUsefulLife.estimate(window, THRESHOLD, Direction.RISING, sample.ts(),
                        MIN_SAMPLES);
                if (estimate instanceof RulEstimate.Prediction prediction) {
                    switch (RUL_ALERT.next(raised, prediction.remainingHours())) {
                        case RAISE -> {
                            raised = true;
                            raises++;
                        }
                        case CLEAR -> raised = false;
                        case NONE -> {
                        }
                    }
                }
            }
            deviceDays += Duration.between(from, START.plus(Duration.ofDays(DAYS))).toMinutes() / 1440.0;
        }
        System.out.printf(Locale.ROOT, "%nhealthy devices, RUL alert: %d false alerts in %.0f device-days (%.4f per"
                + " device-day)%n", raises, deviceDays, raises / deviceDays);
    }

    private static void anomalies(List<Device> healthy) {
        long truePositives = 0;
        long falsePositives = 0;
        long spikes = 0;
        long falseAlerts = 0;
        long scored = 0;
        double deviceDays = 0;
        Instant from = START.plus(Duration.ofDays(BASELINE_DAYS)).plus(ANOMALY_WINDOW);
        for (Device device : healthy) {
            HourlyBaseline baseline = null;
            Instant learnedAt = null;
            boolean raised = false;
            List<Sample> series = device.series();
            for (Sample sample : series) {
                if (sample.ts().isBefore(from)) {
                    continue;
                }
                if (learnedAt == null || !Duration.between(learnedAt, sample.ts()).minusHours(1).isNegative()) {
                    Instant to = sample.ts().minus(ANOMALY_WINDOW);
                    Instant start = to.minus(Duration.ofDays(BASELINE_DAYS));
                    List<Sample> history = series.stream()
                            .filter(s -> s.ts().isAfter(start) && !s.ts().isAfter(to)).toList();
                    baseline = HourlyBaseline.learn(history, MIN_SAMPLES);
                    learnedAt = sample.ts();
                }
                var score = baseline.score(sample.ts(), sample.value());
                if (score.isEmpty()) {
                    continue;
                }
                scored++;
                boolean spike = device.spikes().contains(sample.ts());
                boolean flagged = score.getAsDouble() > ANOMALY_ALERT.raise();
                if (spike) {
                    spikes++;
                }
                if (flagged && spike) {
                    truePositives++;
                } else if (flagged) {
                    falsePositives++;
                }
                switch (ANOMALY_ALERT.next(raised, score.getAsDouble())) {
                    case RAISE -> {
                        raised = true;
                        if (!spike) {
                            falseAlerts++;
                        }
                    }
                    case CLEAR -> raised = false;
                    case NONE -> {
                    }
                }
            }
            deviceDays += Duration.between(from, START.plus(Duration.ofDays(DAYS))).toMinutes() / 1440.0;
        }
        System.out.printf(Locale.ROOT, "%nhealthy devices, anomaly score > %.0f: %d samples scored, %d spikes of %.0f"
                        + " sigma%n", ANOMALY_ALERT.raise(), scored, spikes, SPIKE_SIGMAS);
        System.out.printf(Locale.ROOT, "  precision %.3f, recall %.3f (%d true, %d false positives)%n",
                truePositives / (double) Math.max(1, truePositives + falsePositives),
                truePositives / (double) Math.max(1, spikes), truePositives, falsePositives);
        System.out.printf(Locale.ROOT, "  false alerts (raised on a sample that is no spike): %d in %.0f device-days"
                + " (%.3f per device-day)%n", falseAlerts, deviceDays, falseAlerts / deviceDays);
    }
}
