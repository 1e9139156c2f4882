package io.twinplatform.simulator;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A device's telemetry with known faults on top of its model: each degraded series follows its straight line
 * ({@link Injection.Degradation}) plus the model's noise, and each planned spike lifts the series' first sample at or
 * after the spike's instant by its magnitude times the series' deviation there (1 where the deviation is 0). What
 * was injected is {@link #failures()} and {@link #spikes()}, the ground truth. Stateful (spikes sent): one per
 * device, used under its lock.
 */
final class InjectedTelemetry implements TelemetryModel {

    /** One planned spike. */
    record Spike(String series, Instant at, double sigmas) {
    }

    /** One planned failure: where a degraded series reaches its fail value. */
    record Failure(String series, Instant at, double startValue, double failValue) {
    }

    private final TelemetryModel base;
    private final List<Injection.Degradation> degradations;
    private final List<Spike> spikes;
    private final Instant start;
    private final List<String> series;
    private int nextSpike;

    InjectedTelemetry(TelemetryModel base, List<Injection.Degradation> degradations, List<Spike> spikes,
                      Instant start) {
        this.base = base;
        this.degradations = List.copyOf(degradations);
        this.spikes = spikes.stream().sorted(Comparator.comparing(Spike::at)).toList();
        this.start = start;
        Set<String> names = new LinkedHashSet<>(base.series());
        degradations.forEach(degradation -> names.add(degradation.series()));
        this.series = List.copyOf(names);
        for (Spike spike : this.spikes) {
            if (!names.contains(spike.series())) {
                throw new IllegalArgumentException("--inject-spikes: the devices send no series " + spike.series()
                        + "; they send " + String.join(", ", names));
            }
        }
    }

    /**
     * {@code count} spike instants per {@link Injection.Spikes}, drawn uniformly from {@code random} over
     * {@code [start, start + window)}, whole milliseconds, in time order.
     */
    static List<Spike> plan(List<Injection.Spikes> wanted, Random random, Instant start, Duration window) {
        List<Spike> planned = new ArrayList<>();
        long millis = Math.max(1, window.toMillis());
        for (Injection.Spikes spikes : wanted) {
            for (int i = 0; i < spikes.count(); i++) {
                long offset = (long) (random.nextDouble() * millis);
                planned.add(new Spike(spikes.series(), start.plusMillis(offset), spikes.sigmas()));
            }
        }
        planned.sort(Comparator.comparing(Spike::at));
        return planned;
    }

    List<Spike> spikes() {
        return spikes;
    }

    List<Failure> failures() {
        return degradations.stream().map(d -> new Failure(d.series(), d.failureAt(start), d.startValue(),
                d.failValue())).sorted(Comparator.comparing(Failure::at)).toList();
    }

    @Override
    public List<String> series() {
        return series;
    }

    @Override
    public double expected(String name, Instant at) {
        Injection.Degradation degradation = degradation(name);
        return degradation != null ? degradation.value(Duration.between(start, at)) : base.expected(name, at);
    }

    @Override
    public double deviation(String name, Instant at) {
        return base.series().contains(name) ? base.deviation(name, at) : 0;
    }

    /**
     * The model's sample, or the degradation's line plus noise; lifted by every spike of this series that is due by
     * {@code at} and not sent yet. Samples must come in time order (they do: a device's telemetry does).
     */
    @Override
    public double sample(String name, Instant at, Random random) {
        Injection.Degradation degradation = degradation(name);
        double value = degradation != null
                ? degradation.value(Duration.between(start, at)) + deviation(name, at) * TelemetryModel.gaussian(random)
                : base.sample(name, at, random);
        for (int i = nextSpike; i < spikes.size() && !spikes.get(i).at().isAfter(at); i++) {
            Spike spike = spikes.get(i);
            if (spike.series().equals(name)) {
                double sigma = deviation(name, at);
                value += spike.sigmas() * (sigma > 0 ? sigma : 1);
            }
        }
        return value;
    }

    /** The spikes due by {@code at} have been sent with the message just sampled. */
    @Override
    public void sent(Instant at) {
        while (nextSpike < spikes.size() && !spikes.get(nextSpike).at().isAfter(at)) {
            nextSpike++;
        }
    }

    private Injection.Degradation degradation(String name) {
        for (Injection.Degradation degradation : degradations) {
            if (degradation.series().equals(name)) {
                return degradation;
            }
        }
        return null;
    }
}
